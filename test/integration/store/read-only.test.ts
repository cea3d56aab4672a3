// Commands that only read open the store read-only: they work on a read-only file system (a
// read-only bind mount: EROFS), on a file marked immutable and on a store this user may not write;
// a command that writes says what is in the way, never "run as root" to root (issue 17, item 5).

import assert from 'node:assert/strict';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, type CliResult } from '../../helpers/cli.js';
import { Netns } from '../../helpers/netns.js';
import { nobodysDir } from '../../helpers/nobody.js';
import { tempStore } from '../../helpers/store.js';

/** The reading commands, and what each must show of the store of `restored()`. */
const READS: ReadonlyArray<[string[], RegExp]> = [
  [['list'], /^203\.0\.113\.7 +permanent/m],
  [['list', '--json'], /"address": "2001:db8::7"/],
  [['show', '203.0.113.7'], /^events: +1$/m],
  [['stats'], /^addresses: +2$/m],
  [['export'], /^203\.0\.113\.7\n2001:db8::7\n$/],
  [['safelist', 'list'], /^198\.51\.100\.0\/24 /m],
  [['config', 'ipset.set4'], /^stickyban4\n$/],
  [['restore', '--dry-run'], /^IPv4: 1 entry /m],
  [['prune', '--dry-run', '--older-than', '1d'], /nothing to prune|would prune 0/],
];

/** What is in a directory, to the inode: a read changes none of it. */
function snapshot(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const stats = statSync(join(dir, name));
      return `${name} ${stats.ino} ${stats.size} ${stats.mtimeMs}`;
    });
}

async function restored(): Promise<{ netns: Netns; db: string }> {
  const netns = await Netns.create();
  const db = tempStore();
  for (const args of [['ban', '203.0.113.7'], ['ban', '2001:db8::7'], ['safelist', 'add', '198.51.100.0/24'], ['restore']]) {
    const result = await netns.cli(['--db', db, ...args]);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  }
  return { netns, db };
}

/**
 * Runs the CLI in the namespace and in a mount namespace of its own, where `dir` is bound onto
 * itself read-only: the host's mounts are not touched.
 */
function cliOnReadOnlyMount(netns: Netns, dir: string, args: readonly string[]): Promise<CliResult> {
  const bind = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"';
  return netns.try('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', bind, 'sh', dir, process.execPath, CLI, ...args]);
}

function assertReads(results: ReadonlyArray<CliResult>): void {
  READS.forEach(([args, shows], i) => {
    const result = results[i]!;
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr, '', args.join(' '));
    assert.match(result.stdout, shows, args.join(' '));
  });
}

describe('a read-only store', () => {
  test('on a read-only bind mount (EROFS): every read works, a write says the file system is read-only, nothing changes', async () => {
    const { netns, db } = await restored();
    const dir = dirname(db);
    const before = snapshot(dir);
    const reads: CliResult[] = [];
    for (const [args] of READS) reads.push(await cliOnReadOnlyMount(netns, dir, ['--db', db, ...args]));
    assertReads(reads);
    const doctor = await cliOnReadOnlyMount(netns, dir, ['--db', db, 'doctor']);
    assert.match(doctor.stdout, /^OK +store: .*integrity ok, 2 addresses, 2 events$/m, doctor.stdout);
    assert.match(doctor.stdout, /^OK +IPv4 entries: 1 live, as planned from the store$/m);
    for (const args of [['unban', '203.0.113.7'], ['restore']]) {
      const write = await cliOnReadOnlyMount(netns, dir, ['--db', db, ...args]);
      assert.deepEqual([write.code, write.stderr], [1, `stickyban: cannot write store ${db}: read-only file system\n`], args.join(' '));
    }
    // fail2ban's replay of a ban the store holds needs no write: answered from a read.
    const replay = await cliOnReadOnlyMount(netns, dir, ['--db', db, 'ban', '203.0.113.7', '--restored', '1', '--time', String(Math.floor(Date.now() / 1000) - 60)]);
    assert.deepEqual([replay.code, replay.stderr], [0, ''], replay.stdout);
    // Nor does restore --if-missing when nothing is missing (fail2ban's actionstart and actioncheck).
    const inPlace = await cliOnReadOnlyMount(netns, dir, ['--db', db, 'restore', '--if-missing']);
    assert.deepEqual([inPlace.code, inPlace.stdout, inPlace.stderr], [0, 'the blocklist is in place; nothing to restore\n', '']);
    await netns.exec('ipset', ['flush', 'stickyban4']);
    const missing = await cliOnReadOnlyMount(netns, dir, ['--db', db, 'restore', '--if-missing']);
    assert.deepEqual([missing.code, missing.stderr], [1, `stickyban: cannot write store ${db}: read-only file system\n`], 'something is missing: a restore is needed, and says why it cannot');
    assert.deepEqual(snapshot(dir), before, 'nothing written, made or removed');
  });

  test('a store file marked immutable: reads work; a write names the attribute, not root', async () => {
    const { netns, db } = await restored();
    await netns.exec('chattr', ['+i', db]);
    try {
      const reads: CliResult[] = [];
      for (const [args] of READS) reads.push(await netns.cli(['--db', db, ...args]));
      assertReads(reads);
      const write = await netns.cli(['--db', db, 'unban', '203.0.113.7']);
      assert.deepEqual([write.code, write.stderr], [1, `stickyban: cannot write store ${db}: ${db} is immutable (lsattr shows it; chattr -i ${db})\n`]);
    } finally {
      await netns.exec('chattr', ['-i', db]);
    }
  });

  test("a user's own store they may not write (file 0400 in a directory 0500): reads work, a write says permission denied", async () => {
    const netns = await Netns.create();
    const db = join(nobodysDir(), 'stickyban.db');
    for (const args of [['init'], ['safelist', 'add', '198.51.100.0/24']]) {
      const made = await netns.cliAsNobody(['--db', db, ...args]);
      assert.equal(made.code, 0, `${args.join(' ')}: ${made.stderr}`);
    }
    chmodSync(db, 0o400);
    chmodSync(dirname(db), 0o500);
    const before = snapshot(dirname(db));
    try {
      for (const args of [['safelist', 'list'], ['list'], ['stats']]) {
        const read = await netns.cliAsNobody(['--db', db, ...args]);
        assert.deepEqual([read.code, read.stderr], [0, ''], args.join(' '));
      }
      assert.match((await netns.cliAsNobody(['--db', db, 'safelist', 'list'])).stdout, /^198\.51\.100\.0\/24 /m);
      const write = await netns.cliAsNobody(['--db', db, 'safelist', 'add', '192.0.2.0/24']);
      assert.deepEqual([write.code, write.stderr], [1, `stickyban: cannot write store ${db}: permission denied (run as root, or pass --db)\n`]);
      assert.deepEqual(snapshot(dirname(db)), before, 'nothing written or made beside it');
    } finally {
      chmodSync(dirname(db), 0o755);
    }
  });
});
