// A store is made only by `stickyban init` (and the install, which runs it): a restore or a ban hook
// at a mistyped --db once made an empty store there and loaded it, lifting every ban (issue 17, item
// 1). A restore that would load an empty plan over a live set that holds entries refuses too.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { ipsetEntries } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { initStore } from '../../helpers/store.js';
import { tempDb, tempDir } from '../../helpers/tmp.js';

/** A namespace whose live set holds the store's three bans. */
async function restored(): Promise<{ netns: Netns; db: string }> {
  const netns = await Netns.create();
  const db = initStore(tempDb());
  for (const address of ['203.0.113.7', '198.51.100.0/24', '2001:db8::7']) assert.equal((await netns.cli(['--db', db, 'ban', address])).code, 0);
  assert.equal((await netns.cli(['--db', db, 'restore'])).code, 0);
  return { netns, db };
}

describe('a missing store is made only by stickyban init', () => {
  test('restore at a mistyped --db: one line, exit 1, nothing made, the live set as it was', async () => {
    const { netns, db } = await restored();
    const typo = join(dirname(db), 'stickybna.db');
    const gone = join(tempDir(), 'no-such-dir', 'stickyban.db');
    for (const path of [typo, gone]) {
      for (const args of [['restore'], ['restore', '--if-missing'], ['restore', '--dry-run']]) {
        const result = await netns.cli(['--db', path, ...args]);
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
        assert.equal(result.stderr, `stickyban: no store at ${path}: stickyban init creates it (or check --db, STICKYBAN_DB and db in the config)\n`);
      }
    }
    assert.equal(existsSync(typo), false, 'no store made');
    assert.equal(existsSync(dirname(gone)), false, 'no directory made');
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 2, 'every ban is still live');
    assert.equal(await ipsetEntries(netns, 'stickyban6'), 1);
  });

  test('a ban hook at a missing store in a directory of its own: spooled there, exit 1; init makes the store and folds it in', async () => {
    const netns = await Netns.create();
    const dir = tempDir();
    const db = join(dir, 'stickyban.db');
    const byHand = await netns.cli(['--db', db, 'ban', '192.0.2.8']);
    assert.deepEqual([byHand.code, byHand.stderr], [1, `stickyban: no store at ${db}: stickyban init creates it (or check --db, STICKYBAN_DB and db in the config); the ban of 192.0.2.8 was not recorded: it is a ban by hand (source manual): only a hook's ban waits in a spool for a missing store\n`]);
    assert.deepEqual(readdirSync(dir), [], 'a mistyped --db by hand leaves nothing');
    const hook = await netns.cli(['--db', db, 'ban', '192.0.2.7', '--jail', 'sshd', '--source', 'fail2ban']);
    assert.equal(hook.code, 1);
    assert.equal(hook.stderr, `stickyban: no store at ${db}: stickyban init creates it (or check --db, STICKYBAN_DB and db in the config); the ban of 192.0.2.7 was spooled to ${db}.spool and is recorded when stickyban init creates the store\n`);
    assert.deepEqual(readdirSync(dir), ['stickyban.db.spool'], 'the spool and nothing else');
    assert.match(readFileSync(`${db}.spool`, 'utf8'), /"address":"192\.0\.2\.7","jail":"sshd"/);

    const init = await netns.cli(['--db', db, 'init']);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.stdout, `created the store ${db}\n`);
    assert.match(init.stderr, /folded 1 spooled ban into the store/);
    assert.equal(statSync(db).mode & 0o777, 0o600);
    const shown = JSON.parse((await netns.cli(['--db', db, 'show', '192.0.2.7', '--json'])).stdout) as { events: unknown[] };
    assert.equal(shown.events.length, 1, 'the spooled ban is recorded');
    assert.equal(existsSync(`${db}.spool`), false);

    const again = await netns.cli(['--db', db, 'init']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `the store ${db} is there already; nothing to create\n`);
  });

  test('a ban hook at a store whose directory is missing: refused, exit 1, nothing made', async () => {
    const netns = await Netns.create();
    const parent = tempDir();
    const db = join(parent, 'typo', 'stickyban.db');
    const hook = await netns.cli(['--db', db, 'ban', '192.0.2.7', '--source', 'fail2ban']);
    assert.equal(hook.code, 1);
    assert.equal(hook.stderr, `stickyban: no store at ${db}: stickyban init creates it (or check --db, STICKYBAN_DB and db in the config); the ban of 192.0.2.7 was not recorded: directory ${dirname(db)} does not exist\n`);
    assert.deepEqual(readdirSync(parent), []);
  });

  test('an empty file at --db is no store: a read or a ban says so and writes nothing; init makes the store in it', async () => {
    const netns = await Netns.create();
    const db = join(tempDir(), 'stickyban.db');
    writeFileSync(db, '', { mode: 0o600 });
    for (const args of [['export'], ['list'], ['show', '192.0.2.7'], ['ban', '192.0.2.7'], ['restore']]) {
      const result = await netns.cli(['--db', db, ...args]);
      assert.equal(result.code, 1, args.join(' '));
      assert.ok(result.stderr.startsWith(`stickyban: no store at ${db}: the file holds no tables; stickyban init creates the store there (or check --db, STICKYBAN_DB and db in the config)`), result.stderr);
      assert.equal(result.stderr.split('\n').length, 2, 'one line');
      assert.equal(statSync(db).size, 0, `${args.join(' ')} wrote nothing`);
    }
    const init = await netns.cli(['--db', db, 'init']);
    assert.deepEqual([init.code, init.stdout], [0, `created the store ${db}\n`], 'says it made the store, as it did');
    assert.equal((await netns.cli(['--db', db, 'ban', '192.0.2.7'])).code, 0);
    // A file a store keeps beside it is no store: another's empty -wal, or a lock, was made one.
    for (const suffix of ['-wal', '-shm', '-journal', '.lock', '.daemon.lock']) {
      writeFileSync(`${db}${suffix}`, '');
      const beside = await netns.cli(['--db', `${db}${suffix}`, 'init']);
      assert.deepEqual([beside.code, beside.stderr], [2, `stickyban: invalid --db "${db}${suffix}": it is the ${suffix} file of the store ${db}; expected a store's own path\n`]);
      assert.equal(statSync(`${db}${suffix}`).size, 0);
    }
    // A name that only ends so, with no store beside it, is a store's like any other.
    const journal = join(tempDir(), 'ban-journal');
    assert.equal((await netns.cli(['--db', journal, 'init'])).code, 0);
  });

  test('init makes the directories it needs, the store 0600 in a 0700 directory', async () => {
    const netns = await Netns.create();
    const db = join(tempDir(), 'var', 'lib', 'stickyban', 'stickyban.db');
    const init = await netns.cli(['--db', db, 'init']);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(statSync(dirname(db)).mode & 0o777, 0o700);
    assert.equal(statSync(dirname(dirname(db))).mode & 0o777, 0o755);
    assert.equal(statSync(db).mode & 0o777, 0o600);
    assert.equal((await netns.cli(['--db', db, 'list'])).code, 0);
  });
});

describe('a restore that would empty the live set', () => {
  test('another, empty store: refused, naming the live entries it would remove; --force empties it', async () => {
    const { netns, db } = await restored();
    const other = initStore(join(dirname(db), 'other.db'));
    const refused = await netns.cli(['--db', other, 'restore']);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `stickyban: refusing to empty the live blocklist: the store ${other} plans no entry, and restore would remove the 3 entries live in ipset (2 IPv4, 1 IPv6); check --db and the policy, or restore --force to empty it\n`,
    );
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 2, 'the live set is untouched');
    // A dry run says what the real one would refuse (and, forced, would do).
    const dry = await netns.cli(['--db', other, 'restore', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run: a real restore would refuse to empty the live blocklist: the store .* plans no entry, and restore would remove the 3 entries live in ipset \(2 IPv4, 1 IPv6\); restore --force would empty it\n/);
    const dryForced = await netns.cli(['--db', other, 'restore', '--dry-run', '--force']);
    assert.equal(dryForced.code, 0, dryForced.stderr);
    assert.doesNotMatch(dryForced.stdout, /would refuse/);
    assert.doesNotMatch((await netns.cli(['--db', db, 'restore', '--dry-run'])).stdout, /would refuse/, 'a store that plans entries');
    const forced = await netns.cli(['--db', other, 'restore', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 0);
    assert.equal(await ipsetEntries(netns, 'stickyban6'), 0);
  });

  test('a policy that matches no jail (a typo in the config): refused the same way', async () => {
    const { netns, db } = await restored();
    const config = join(dirname(db), 'config.toml');
    writeFileSync(config, '[policy]\njails = ["sshdd"]\n');
    const refused = await netns.cli(['--db', db, '--config', config, 'restore']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^stickyban: refusing to empty the live blocklist: .* would remove the 3 entries live in ipset .*\n$/);
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 2);
    // Nothing live to remove: an empty plan over an empty set is no loss.
    const fresh = await Netns.create();
    const loaded = await fresh.cli(['--db', db, '--config', config, 'restore']);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
});

test('init refuses to make a store where another one\'s write-ahead log is left (a store moved away without it): SQLite would take that log as the new store\'s', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = join(dir, 'stickyban.db');
  const old = initStore(join(dir, 'old.db'));
  assert.equal((await netns.cli(['--db', old, 'ban', '192.0.2.1'])).code, 0);
  writeFileSync(`${db}-wal`, 'the log of a store moved away');
  const refused = await netns.cli(['--db', db, 'init']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^stickyban: .*stickyban\.db-wal of another store is where the new store goes \(a store moved away without its log, perhaps while the daemon ran\): stop what uses it, then move it beside that store \(or remove it if that store is gone\), and run init again\n$/);
  assert.equal(existsSync(db), false, 'nothing made');
  assert.equal(readFileSync(`${db}-wal`, 'utf8'), 'the log of a store moved away');
});
