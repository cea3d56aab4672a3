import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { StoreError } from '../../../src/errors.js';
import { defaultMigrationsDir, readMigrations } from '../../../src/store/migrate.js';
import { Store } from '../../../src/store/store.js';
import { blockParams } from '../../../src/store/keys.js';
import { formatNetwork } from '../../../src/address/format.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { CLI, runCli, runProcess } from '../../helpers/cli.js';
import { query } from '../../helpers/sqlite.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

const shipped = readdirSync(defaultMigrationsDir()).filter((name) => name.endsWith('.sql')).sort();

/** A migrations folder holding the first `n` shipped migrations. */
function migrationsUpTo(n: number): string {
  const dir = join(tempDir(), 'migrations');
  mkdirSync(dir);
  for (const name of shipped.slice(0, n)) copyFileSync(join(defaultMigrationsDir(), name), join(dir, name));
  return dir;
}

function open(path: string, migrationsDir?: string): Store {
  return Store.open({ path, busyTimeoutMs: 1000, create: true, ...(migrationsDir ? { migrationsDir } : {}) });
}

/** A ban written into a store of an older schema, as the stickyban of that schema wrote it. */
function ban(store: Store, address: string): void {
  const event = banEvent(address);
  const { family, first, last } = blockParams(event.network);
  store.write(() =>
    store.db
      .prepare('INSERT INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source, restored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)')
      .run(event.uuid, event.origin, family, first, last, formatNetwork(event.network), event.jail, event.bannedAt, event.bantime, event.source),
  );
}

describe('migrations', () => {
  test('there is more than one migration to upgrade through', () => {
    assert.ok(shipped.length >= 2, shipped.join(', '));
  });

  test('a store created by migration 0001 upgrades cleanly and keeps its bans', () => {
    const path = join(tempDir(), 'old.db');
    const old = open(path, migrationsUpTo(1));
    ban(old, '192.0.2.1');
    ban(old, '2001:db8::1');
    old.close();
    assert.deepEqual(query(path, 'SELECT name FROM schema_migrations').map((row) => row.name), ['0001_init']);

    const upgraded = open(path);
    upgraded.close();
    assert.deepEqual(
      query(path, 'SELECT name FROM schema_migrations ORDER BY name').map((row) => `${row.name}.sql`),
      shipped,
    );
    assert.deepEqual(query(path, 'SELECT address FROM bans ORDER BY id').map((row) => row.address), ['192.0.2.1', '2001:db8::1']);
    assert.deepEqual(query(path, "PRAGMA integrity_check").map((row) => row.integrity_check), ['ok']);
  });

  test('0011 notes the prefix lengths of the blocks stored: IPv4 exactly, IPv6 all of them when any is stored', () => {
    const path = join(tempDir(), 'old.db');
    const old = open(path, migrationsUpTo(10));
    for (const address of ['192.0.2.1', '203.0.113.0/24', '0.0.0.0/0', '198.51.100.9']) ban(old, address);
    old.close();
    const only4 = open(path);
    assert.deepEqual(only4.db.prepare('SELECT family, prefix FROM ban_prefixes ORDER BY family, prefix').raw().all(), [[4, 0], [4, 24], [4, 32]]);
    // What the lengths are for: the blocks around a host are found at them.
    const around = only4.bans.qualifyingAroundHosts([parseNetwork('203.0.113.7'), parseNetwork('198.51.100.9')], DEFAULTS.policy, 1_790_000_100);
    assert.deepEqual(around.map((blocks) => blocks.map(formatNetwork)), [['0.0.0.0/0', '203.0.113.0/24'], ['0.0.0.0/0', '198.51.100.9']]);
    only4.close();

    const path6 = join(tempDir(), 'old6.db');
    const old6 = open(path6, migrationsUpTo(10));
    ban(old6, '2001:db8::/64');
    old6.close();
    const with6 = open(path6);
    assert.deepEqual(with6.db.prepare('SELECT family, count(*), min(prefix), max(prefix) FROM ban_prefixes GROUP BY family').raw().all(), [[6, 129, 0, 128]]);
    with6.close();
  });

  test('a store that recorded dry runs as restores loses those records: the last restore is a real one', () => {
    const path = join(tempDir(), 'old.db');
    const old = open(path, migrationsUpTo(3));
    // Written as the stickyban of that schema wrote them.
    const record = old.db.prepare('INSERT INTO restores (started_at, duration_ms, backend, entries4, entries6, trigger) VALUES (?, ?, ?, ?, ?, ?)');
    old.write(() => {
      record.run(1, 5, 'ipset', 1, 0, 'restore');
      record.run(2, 1, 'nftables', 0, 0, 'dry-run');
    });
    old.close();
    const upgraded = open(path);
    assert.equal(upgraded.restores.last()?.trigger, 'restore');
    assert.equal(upgraded.restores.lastBackend(), 'ipset');
    assert.deepEqual(upgraded.restores.targets(), [{ backend: 'ipset', target: null }]);
    upgraded.close();
  });

  test('an edited applied migration is refused, and so is a missing one', () => {
    const dir = migrationsUpTo(shipped.length);
    const path = join(tempDir(), 'edited.db');
    open(path, dir).close();

    writeFileSync(join(dir, shipped[0]!), '-- edited\nCREATE TABLE bans (x);\n');
    assert.throws(() => open(path, dir), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /migration 0001_init was changed after it was applied/);
      return true;
    });

    copyFileSync(join(defaultMigrationsDir(), shipped[0]!), join(dir, shipped[0]!));
    unlinkSync(join(dir, shipped.at(-1)!));
    assert.throws(() => open(path, dir), /which this stickyban does not have/);
  });

  test('a migration slipped in before an applied one is refused', () => {
    const dir = migrationsUpTo(shipped.length);
    const path = join(tempDir(), 'order.db');
    open(path, dir).close();
    writeFileSync(join(dir, '0001_zzz_late.sql'), 'CREATE TABLE late (x);\n');
    assert.throws(() => open(path, dir), /sorts before/);
  });

  test('the migrations built into the CLI are those of migrations/, checksums and all', async () => {
    const dir = tempDir();
    const db = join(dir, 'cli.db');
    // The CLI must not read them: it is run with a preload that makes any listing of migrations/ fail.
    const preload = join(dir, 'no-migrations-dir.cjs');
    writeFileSync(
      preload,
      "const fs = require('node:fs'); const list = fs.readdirSync;\n" +
        "fs.readdirSync = (path, ...rest) => { if (String(path).endsWith('/migrations')) throw new Error('read migrations/'); return list(path, ...rest); };\n",
    );
    const result = await runProcess(process.execPath, ['--require', preload, CLI, '--db', db, 'init']);
    assert.equal(result.code, 0, result.stderr);
    const applied = query(db, 'SELECT name, checksum FROM schema_migrations ORDER BY name');
    assert.deepEqual(applied, readMigrations().map(({ name, checksum }) => ({ name, checksum })));
  });

  test('the CLI refuses a store with a changed migration: one line, exit 1', async () => {
    const path = join(tempDir(), 'cli.db');
    open(path).close();
    const handle = open(path);
    handle.db.prepare("UPDATE schema_migrations SET checksum = 'edited' WHERE name = '0001_init'").run();
    handle.close();
    const result = await runCli(['--db', path, 'list']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^stickyban: migration 0001_init was changed after it was applied .*\n$/);
  });

  test('the store and its directory are created owner-only, the directories above it 0755, whatever the umask', () => {
    for (const umask of [0o000, 0o022, 0o077]) {
      const path = join(tempDir(), 'above', 'stickyban', 'stickyban.db');
      const before = process.umask(umask);
      try {
        open(path).close();
      } finally {
        process.umask(before);
      }
      assert.equal(statSync(path).mode & 0o777, 0o600, `umask ${umask.toString(8)}`);
      assert.equal(statSync(join(path, '..')).mode & 0o7777, 0o700);
      // Not 0777 from umask 000 (anyone could swap the store's directory), nor 0700 from 077.
      assert.equal(statSync(join(path, '..', '..')).mode & 0o7777, 0o755);
      assert.equal(query(path, 'PRAGMA journal_mode')[0]!.journal_mode, 'wal');
    }
  });

  test("another program's SQLite database given as --db is refused, exit 2, and left byte for byte", async () => {
    const dir = tempDir();
    const foreign = join(dir, 'fail2ban.sqlite3');
    copyFileSync(new URL('../../fixtures/fail2ban/fail2ban.sqlite3', import.meta.url), foreign);
    const before = readFileSync(foreign);
    for (const args of [['list'], ['ban', '192.0.2.1', '--jail', 'sshd']]) {
      const result = await runCli(['--db', foreign, ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr, `stickyban: ${foreign} is not a stickyban store: it is another program's SQLite database (tables bans, bips, fail2banDb, jails, logs); give --db a path of its own\n`);
    }
    assert.ok(readFileSync(foreign).equals(before), 'not a byte changed (not even the switch to WAL)');
    assert.deepEqual(readdirSync(dir), ['fail2ban.sqlite3'], 'no -wal or -shm beside it');

    // A Rails (or Ecto, golang-migrate) database has a schema_migrations table too, not ours.
    const rails = join(dir, 'production.sqlite3');
    const app = new Database(rails);
    app.exec('CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); CREATE TABLE users (id INTEGER)');
    app.close();
    const railsBefore = readFileSync(rails);
    const refused = await runCli(['--db', rails, 'ban', '192.0.2.1', '--jail', 'sshd']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /is not a stickyban store: it is another program's SQLite database \(tables schema_migrations, users\)/);
    assert.ok(readFileSync(rails).equals(railsBefore));
    assert.equal(existsSync(`${rails}.spool`), false, 'and no spool beside it');
  });
});
