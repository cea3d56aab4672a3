// A store where another user could put links is refused, as sshd refuses a loose authorized_keys:
// the attacks of issue 16 (item 3), played by nobody against the real CLI run as root.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { asNobody, NOBODY, nobodysDir } from '../../helpers/nobody.js';
import { seedBans } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

/** Every command that opens the store, with what it needs to get that far. */
const COMMANDS: ReadonlyArray<{ args: string[]; input?: string }> = [
  { args: ['ban', '192.0.2.9'] },
  { args: ['unban', '192.0.2.1'] },
  { args: ['safelist', 'add', '198.51.100.0/24'] },
  { args: ['safelist', 'remove', '198.51.100.0/24'] },
  { args: ['safelist', 'list'] },
  { args: ['list'] },
  { args: ['show', '192.0.2.1'] },
  { args: ['stats'] },
  { args: ['restore'] },
  { args: ['restore', '--dry-run'] },
  { args: ['prune', '--older-than', '1d'] },
  { args: ['prune', '--dry-run'] },
  { args: ['import', '-', '--format', 'plain'], input: '192.0.2.10\n' },
  { args: ['export'] },
  { args: ['daemon'] },
];

/** What is in a directory, to the byte and the inode: a refused command must change none of it. */
function snapshot(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const stats = statSync(join(dir, name));
      return `${name} ${stats.ino} ${stats.size} ${stats.mtimeMs} ${stats.mode.toString(8)} ${stats.uid}`;
    });
}

/** A store with one ban, made by root where it belongs; the test then loosens where it is. */
function seededStore(): string {
  const db = join(tempDir(), 'store', 'stickyban.db');
  seedBans(db, ['192.0.2.1']);
  return db;
}

async function expectRefused(netns: Netns, db: string, why: RegExp, commands = COMMANDS): Promise<void> {
  const before = snapshot(dirname(db));
  for (const { args, input } of commands) {
    const result = await netns.cli(['--db', db, ...args], input === undefined ? {} : { input });
    const label = args.join(' ');
    assert.equal(result.code, 1, `${label}: ${result.stderr}`);
    assert.equal(result.stdout, '', label);
    assert.match(result.stderr, new RegExp(`^stickyban: refusing store ${db}: ${why.source}\\n$`), label);
  }
  const doctor = await netns.cli(['--db', db, 'doctor']);
  assert.equal(doctor.code, 1);
  assert.match(doctor.stdout, new RegExp(`FAIL +store: refusing store ${db}: ${why.source}`));
  assert.deepEqual(snapshot(dirname(db)), before, 'nothing created, written or removed');
}

describe('a store where another user could put links', () => {
  test('in a directory another user owns: every command that opens it refuses, one line, exit 1, nothing written', async () => {
    const netns = await Netns.create();
    const db = seededStore();
    chownSync(dirname(db), NOBODY, NOBODY);
    await expectRefused(netns, db, /.*\/store is owned by uid 65534, not root; the store must be where only root can change it \(chown root .*\/store\)/);
  });

  test('in a directory others may write, or below one another user owns: refused the same way', async () => {
    const netns = await Netns.create();
    const some = COMMANDS.filter(({ args }) => ['ban', 'list', 'restore'].includes(args[0]!));
    const open = seededStore();
    chmodSync(dirname(open), 0o777);
    await expectRefused(netns, open, /.*\/store is writable by its group and others \(mode 0777\); .* \(chmod go-w .*\/store\)/, some);
    // Sticky is no help for the store's own directory: nobody could make the store's files first.
    chmodSync(dirname(open), 0o1777);
    await expectRefused(netns, open, /.*\/store is writable by its group and others \(mode 01777\); .*/, some);
    chmodSync(dirname(open), 0o1770);
    await expectRefused(netns, open, /.*\/store is writable by its group \(mode 01770\); .*/, some);

    // The store's own directory is root's and private, but nobody could rename it and put a link in its place.
    const below = seededStore();
    chownSync(dirname(dirname(below)), NOBODY, NOBODY);
    await expectRefused(netns, below, /.*stickyban-test-\w+ is owned by uid 65534, not root; .*/, some);
  });

  test("nobody's links: root creates no file at their path, appends no ban to their target and copies no root-only line to them", async () => {
    const netns = await Netns.create();
    const victims = tempDir();
    const secret = join(victims, 'secret');
    writeFileSync(secret, 'root only: line one\nroot only: line two\n', { mode: 0o600 });
    const theirs = nobodysDir();
    // The store, and its lock, are links to where nobody wants root to create files.
    await asNobody('cd "$1" && mkdir a b && ln -s "$2/made.db" a/stickyban.db && ln -s "$2/made.lock" b/stickyban.db.lock', theirs, victims);
    // The store cannot be opened (a directory), so the ban goes to the spool: a link to a root file.
    await asNobody('cd "$1" && mkdir c c/stickyban.db && ln -s "$2" c/stickyban.db.spool', theirs, secret);
    // A claimed spool file left by a "killed drain" is a link to a root-only file; its unreadable
    // lines would be copied into a quarantine file nobody made and can read.
    await asNobody('cd "$1" && mkdir d && ln -s "$2" d/stickyban.db.spool.claimed.1.1 && touch d/stickyban.db.spool.bad', theirs, secret);

    for (const [store, args] of [
      ['a', ['ban', '192.0.2.9']],
      ['b', ['restore']],
      ['b', ['unban', '192.0.2.9']],
      ['c', ['ban', '192.0.2.9']],
      ['d', ['ban', '192.0.2.9']],
    ] as const) {
      const db = join(theirs, store, 'stickyban.db');
      const result = await netns.cli(['--db', db, ...args]);
      assert.equal(result.code, 1, `${store}: ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^stickyban: refusing store ${db}: ${theirs} is owned by uid 65534, not root; .*\\n$`));
    }
    assert.deepEqual(readdirSync(victims), ['secret'], 'no file created through a link');
    assert.equal(readFileSync(secret, 'utf8'), 'root only: line one\nroot only: line two\n', 'nothing appended');
    assert.equal(readFileSync(join(theirs, 'd', 'stickyban.db.spool.bad'), 'utf8'), '', 'nothing disclosed');
  });

  test('a store file or lock that is a link, not a regular file, or writable by others is refused, never followed', async () => {
    const netns = await Netns.create();
    const db = seededStore();
    const elsewhere = join(tempDir(), 'elsewhere.db');
    seedBans(elsewhere, ['192.0.2.2']);
    const linked = join(dirname(db), 'linked.db');
    symlinkSync(elsewhere, linked);
    const stats = await netns.cli(['--db', linked, 'stats']);
    assert.deepEqual([stats.code, stats.stderr], [1, `stickyban: refusing store ${linked}: ${linked} is a symbolic link, which stickyban does not follow (remove it, or give --db the real path)\n`]);

    symlinkSync(join(tempDir(), 'made.lock'), `${db}.lock`);
    const restore = await netns.cli(['--db', db, 'restore']);
    assert.deepEqual([restore.code, restore.stderr], [1, `stickyban: refusing store ${db}: ${db}.lock is a symbolic link, which stickyban does not follow (remove it, or give --db the real path)\n`]);
    assert.deepEqual(readdirSync(dirname(readlinkSync(`${db}.lock`))), [], 'the lock was not created through the link');

    const fifo = join(dirname(db), 'fifo.db');
    await netns.exec('mkfifo', [fifo]);
    const list = await netns.cli(['--db', fifo, 'list']);
    assert.deepEqual([list.code, list.stderr], [1, `stickyban: refusing store ${fifo}: ${fifo} is not a regular file\n`]);

    const loose = seededStore();
    chmodSync(loose, 0o666);
    const ban = await netns.cli(['--db', loose, 'ban', '192.0.2.9']);
    assert.deepEqual([ban.code, ban.stderr], [1, `stickyban: refusing store ${loose}: ${loose} is writable by others (mode 0666; chmod 600 it)\n`]);
  });

  test("a user's own store, in a directory of theirs, is theirs to use", async () => {
    const netns = await Netns.create();
    const dir = nobodysDir();
    const db = join(dir, 'stickyban.db');
    // Made by nobody: the directory's owner is the user running the command.
    const made = await netns.cliAsNobody(['--db', db, 'init']);
    assert.deepEqual([made.code, made.stderr], [0, '']);
    const safelisted = await netns.cliAsNobody(['--db', db, 'safelist', 'add', '198.51.100.0/24']);
    assert.deepEqual([safelisted.code, safelisted.stdout, safelisted.stderr], [0, 'safelisted 198.51.100.0/24\n', '']);
    const listed = await netns.cliAsNobody(['--db', db, 'safelist', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /198\.51\.100\.0\/24/);
    assert.equal(statSync(db).uid, NOBODY);
  });
});
