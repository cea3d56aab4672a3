// The shared log's guarantees, through `stickyban fleet sync` on hosts of a throwaway cluster: a
// cursor that cannot skip a transaction that committed late, many publishers at once ending with
// every subscriber holding exactly every event, bad rows skipped without stopping the sync, a new
// host bootstrapped in bulk, fleet-wide lifts and safelist entries from the admin only.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { ipsetMembers } from '../../helpers/ipset.js';
import { appendLiftedReplay, fleetHost, initFleet, type FleetHost } from '../../helpers/fleet.js';
import { startCluster } from '../../helpers/postgres.js';
import { banEvent, seedBans } from '../../helpers/seed.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { formatNetwork } from '../../../src/address/format.js';
import { loadConfig } from '../../../src/config/config.js';
import { readCopyRow } from '../../../src/fleet/copy-row.js';
import { pull, push } from '../../../src/fleet/exchange.js';
import type { FleetEvent } from '../../../src/fleet/log.js';
import { connect, type Connection } from '../../../src/fleet/pg.js';
import type { BanEvent } from '../../../src/store/bans.js';
import { dropBlockIndex, hasBlockIndex } from '../../../src/store/block-index.js';
import { ApplyLock } from '../../../src/store/lock.js';
import { Store } from '../../../src/store/store.js';

async function sync(host: FleetHost): Promise<string> {
  const result = await host.cli('fleet', 'sync');
  assert.equal(result.code, 0, `${host.name}: ${result.stderr}`);
  return result.stdout + result.stderr;
}

/** An admin connection for the test's own statements. */
async function adminClient(uri: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  return client;
}

const APPEND = "INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at) VALUES (gen_random_uuid(), $1, 'ban', $2, 'sshd', now())";

describe('the fleet log', () => {
  test('the cursor does not skip a transaction that took its id first and committed last', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const b = await fleetHost(cluster, admin, 'host-b');
    const early = await adminClient(admin);
    const late = await adminClient(admin);
    try {
      // The early transaction takes id 1 and stays open; another takes id 2 and commits.
      await early.query('BEGIN');
      await early.query(APPEND, ['host-a', '192.0.2.1']);
      await late.query(APPEND, ['host-a', '192.0.2.2']);
      assert.deepEqual((await late.query('SELECT id::int, address::text FROM stickyban.events ORDER BY id')).rows, [{ id: 2, address: '192.0.2.2/32' }]);
      // id > last would apply 2 now and never see 1; the commit-ordered cursor waits for the older one.
      await sync(b);
      assert.equal(count(b.db, 'bans'), 0, 'nothing is read past a transaction still running');
      await early.query('COMMIT');
      await sync(b);
      assert.deepEqual(query(b.db, 'SELECT address FROM bans ORDER BY address'), [{ address: '192.0.2.1' }, { address: '192.0.2.2' }]);
    } finally {
      await early.end();
      await late.end();
    }
  });

  test('pages follow the log\'s order: 5,000 events read 700 at a time, each once, ids of one to four digits', async () => {
    const cluster = await startCluster();
    await initFleet(cluster);
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at)
      SELECT gen_random_uuid(), 'host-a', 'ban', ('10.9.0.0'::inet + i)::cidr, 'sshd', now() FROM generate_series(1, 5000) AS i`);
    const db = join(tempDir(), 'stickyban.db');
    seedBans(db, []);
    const store = Store.open({ path: db, busyTimeoutMs: 1000 });
    const config = await loadConfig({}, {});
    const connection = await connect({ ...config.fleet, host: 'host-b' }, cluster.uri(cluster.admin.user, cluster.admin.password));
    const read: string[] = [];
    try {
      const appliers = { bans: async (events: BanEvent[]) => void read.push(...events.map((event) => formatNetwork(event.network))), change: async () => {}, restore: async () => {} };
      const outcome = await pull(connection, store, { ...config.fleet, host: 'host-b' }, appliers, async (work) => void store.write(work), () => {}, { pageRows: 700 });
      assert.equal(outcome.applied, 5000);
      // A COPY that is not the log's rows fails its page, and the connection serves on.
      await assert.rejects(connection.copyOut('COPY (SELECT 1) TO STDOUT (FORMAT binary)', readCopyRow), /fleet database .*: a COPY row of 1 columns, expected 11/);
      assert.deepEqual(await connection.query('SELECT 2 AS two'), [{ two: 2 }]);
    } finally {
      await connection.end();
      store.close();
    }
    assert.equal(read.length, 5000);
    assert.equal(new Set(read).size, 5000, 'none read twice, none skipped');
  });

  test('a catch-up cut short goes on without harm: a lift is not applied again over the bans after it, and the restore it owes runs', async () => {
    const cluster = await startCluster();
    await initFleet(cluster);
    // A ban, the admin's lift of it, the address banned again, and enough after it for a bulk catch-up.
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at) VALUES
      ('0190a6b2-0000-7000-8000-000000000001', 'host-a', 'ban', '192.0.2.77', 'sshd', now() - interval '1 minute'),
      (gen_random_uuid(), 'admin', 'lift', '192.0.2.77', NULL, now() - interval '30 seconds'),
      ('0190a6b2-0000-7000-8000-000000000002', 'host-a', 'ban', '192.0.2.77', 'sshd', now());
      INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at)
      SELECT gen_random_uuid(), 'host-a', 'ban', ('10.9.0.0'::inet + i)::cidr, 'sshd', now() FROM generate_series(1, 3000) AS i`);
    const db = join(tempDir(), 'stickyban.db');
    seedBans(db, []);
    const store = Store.open({ path: db, busyTimeoutMs: 1000 });
    const config = await loadConfig({}, {});
    const fleet = { ...config.fleet, host: 'host-b' };
    const connection = await connect(fleet, cluster.uri(cluster.admin.user, cluster.admin.password));
    const restores: string[] = [];
    // Appliers that record for real (a change with the position it is given, in its transaction,
    // as applyChange does) and are "killed" at a chosen step: once the lift is committed; after
    // recording the bans after it (before the position after them is stored; the batch before the
    // lift is the first ban alone); or in the restore.
    const appliers = (killed?: 'change' | 'bans' | 'restore') => ({
      bans: async (events: BanEvent[]) => {
        store.write(() => store.bans.insertMany(events));
        if (killed === 'bans' && events.length > 1) throw new Error('killed');
      },
      change: async (event: FleetEvent, _bulk: boolean, record: () => void) => {
        store.write(() => {
          store.bans.lift(event.network, event.jail, Math.floor(Date.now() / 1000), `fleet:${event.origin}`);
          record();
        });
        if (killed === 'change') throw new Error('killed');
      },
      restore: async () => {
        restores.push(killed ?? 'done');
        if (killed === 'restore') throw new Error('killed');
      },
    });
    const run = (killed?: 'change' | 'bans' | 'restore') => pull(connection, store, fleet, appliers(killed), async (work) => void store.write(work), () => {});
    const lifts = () => query<{ uuid: string; lifted_by: string | null }>(db, "SELECT hex(uuid) AS uuid, lifted_by FROM bans WHERE address = '192.0.2.77' ORDER BY id");
    const hooked = { ...banEvent('192.0.2.77'), uuid: Buffer.from('0190a6b2000070008000000000000003', 'hex') };
    try {
      // One pull into a store at a time: another one (a fleet sync beside the daemon) waits, or gives up.
      const held = await ApplyLock.acquire(db, { kind: 'pull' });
      await assert.rejects(
        pull(connection, store, fleet, appliers(), async (work) => void store.write(work), () => {}, { lockWaitMs: 0 }),
        /another stickyban \(fleet sync or the daemon, reading the fleet log\) held .*\.pull\.lock; try again/,
      );
      assert.equal(count(db, 'bans'), 0);
      held.release();
      await assert.rejects(run('change'), /killed/);
      // fail2ban bans the address here again while the sync is down.
      store.write(() => store.bans.insert(hooked));
      await assert.rejects(run('bans'), /killed/);
      assert.equal(count(db, 'bans'), 3003, 'the bans after the lift were recorded before the kill');
      await assert.rejects(run('restore'), /killed/);
      assert.deepEqual(lifts(), [
        { uuid: '0190A6B2000070008000000000000001', lifted_by: 'fleet:admin' },
        { uuid: '0190A6B2000070008000000000000003', lifted_by: null },
        { uuid: '0190A6B2000070008000000000000002', lifted_by: null },
      ], 'the bans after the lift, the hook\'s and the log\'s, stay active: the lift is not applied again');
      assert.deepEqual(restores, ['restore']);
      // Nothing left to read, and the restore still owed runs; once only. A bootstrap killed
      // mid-load leaves the store without its block index too: the pull builds it first.
      store.write(() => dropBlockIndex(store.db));
      assert.equal((await run()).applied, 0);
      assert.equal(hasBlockIndex(store.db), true);
      assert.deepEqual(restores, ['restore', 'done']);
      await run();
      assert.deepEqual(restores, ['restore', 'done']);
    } finally {
      await connection.end();
      store.close();
    }
    assert.equal(count(db, 'bans'), 3003, 'every ban once');
  });

  test('a push that a prune overlaps still sends the ban given an id the prune freed', async () => {
    const cluster = await startCluster();
    await initFleet(cluster);
    const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
    const config = await loadConfig({}, {});
    const fleet = { ...config.fleet, host: 'host-b' };
    const connection = await connect(fleet, cluster.uri(cluster.admin.user, cluster.admin.password));
    // The newest local ban is a replay dated long ago: stale, prune takes it.
    const old = { ...banEvent('192.0.2.3'), bannedAt: 1_000_000_000, restored: true };
    store.write(() => ['192.0.2.1', '192.0.2.2'].forEach((address) => store.bans.insert(banEvent(address))));
    store.write(() => store.bans.insert(old));
    const next = banEvent('192.0.2.4');
    let interleaved = false;
    // While the batch is on its way: a prune deletes the top row, and a new ban takes its id again.
    const racing = {
      query: async (sql: string, params: unknown[]) => {
        if (!interleaved) {
          interleaved = true;
          store.write(() => store.bans.deleteIfStale(old.network, 1_500_000_000, false));
          store.write(() => store.bans.insert(next));
          assert.equal(store.read(() => store.bans.maxId()), 3, 'the freed id is handed out again');
        }
        return connection.query(sql, params);
      },
    } as unknown as Connection;
    const persist = async (work: () => void) => void store.write(work);
    try {
      await push(racing, store, fleet, persist);
      await push(racing, store, fleet, persist);
      assert.equal(store.read(() => store.fleet.waiting(Number(store.fleet.get('published')))), 0);
      assert.equal((await cluster.sql("SELECT count(*) FROM stickyban.events WHERE address = '192.0.2.4'")).trim(), '1', 'sent');
    } finally {
      await connection.end();
      store.close();
    }
  });

  test('10 publishers of 1,000 events each at once: every subscriber ends with exactly all 10,000', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const publishers = await Promise.all(Array.from({ length: 10 }, (_, i) => fleetHost(cluster, admin, `pub-${i}`)));
    const [early, late] = [await fleetHost(cluster, admin, 'sub-early'), await fleetHost(cluster, admin, 'sub-late')];
    publishers.forEach((host, i) => seedBans(host.db, Array.from({ length: 1000 }, (_, j) => `10.${i}.${j >> 8}.${j & 255}`)));
    // One subscriber reads again and again while they publish, the other only afterwards.
    let publishing = true;
    const reading = (async () => {
      while (publishing) await sync(early);
    })();
    await Promise.all(publishers.map(sync));
    publishing = false;
    await reading;
    await sync(early);
    // Each event read exactly once (ids of four and five digits: text order would differ).
    assert.match(await sync(late), /applied 10000 from other hosts \(in bulk, then restored the live set\)/);
    for (const host of [early, late]) {
      assert.equal(count(host.db, 'bans'), 10_000, host.name);
      assert.equal(query<{ n: number }>(host.db, 'SELECT count(DISTINCT uuid) AS n FROM bans')[0]!.n, 10_000);
    }
    assert.equal(await cluster.sql('SELECT count(*) FROM stickyban.events'), '10000\n');
    // sub-late was 10,000 behind: it recorded them in bulk and loaded them in one restore.
    assert.equal((await ipsetMembers(late.netns, 'stickyban4')).length, 10_000);
  });

  test('a host role reads the log and appends its own bans, nothing else; a loose password file and a missing ca_file are refused', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const a = await fleetHost(cluster, admin, 'host-a');
    // A transaction it leaves open would hold back every host's read of the log (read up to the oldest open one).
    assert.equal(await cluster.sql("SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = 'stickyban_host_a'"), 'idle_in_transaction_session_timeout=30s\n');
    await fleetHost(cluster, admin, 'host-b');
    const role = new pg.Client({ ...pgConfigOf(cluster.socketDir, 'stickyban_host_a'), password: readPassword(a) });
    await role.connect();
    try {
      await role.query(APPEND, ['host-a', '192.0.2.7']);
      for (const [statement, refusal] of [
        [`${APPEND}`, /row-level security/],
        ["INSERT INTO stickyban.events (uuid, origin, kind, address, at) VALUES (gen_random_uuid(), 'host-a', 'lift', '192.0.2.7', now())", /row-level security/],
        ["UPDATE stickyban.events SET address = '10.0.0.0/8'", /permission denied/],
        ['DELETE FROM stickyban.events', /permission denied/],
        ['DROP TABLE stickyban.events', /must be owner/],
        ["UPDATE stickyban.hosts SET role = 'stickyban_host_b' WHERE name = 'host-a'", /permission denied/],
        ['SELECT rolpassword FROM pg_authid', /permission denied/],
      ] as const) {
        await assert.rejects(role.query(statement, statement === APPEND ? ['host-b', '192.0.2.8'] : []), refusal, statement);
      }
      assert.equal((await role.query("UPDATE stickyban.hosts SET last_seen = now() WHERE name IN ('host-a', 'host-b')")).rowCount, 1, 'its own row only');
      // What it writes there is printed on the admin's terminal: escaped and bounded, never a line of its own.
      await role.query(`UPDATE stickyban.hosts SET version = E'0.2\\x1b[2J\\nhost-z  2099-01-01T00:00:00Z  9:9  0.2' || repeat('v', 5000) WHERE name = 'host-a'`);
    } finally {
      await role.end();
    }
    const status = await a.cli('fleet', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, /\x1b|^host-z/m);
    assert.match(status.stdout, /0\.2\\u001b\[2J\\u000ahost-z/);
    assert.ok(status.stdout.length < 2000, `bounded: ${status.stdout.length} characters`);
    chmodSync(passwordFileOf(a), 0o644);
    const loose = await a.cli('fleet', 'sync');
    assert.equal(loose.code, 2);
    assert.match(loose.stderr, /^stickyban: fleet password_file ".*" may be read by others \(owner uid 0, mode 644\): expected owned by uid 0, mode 600 \(chmod 600 it\)\n$/);
    chmodSync(passwordFileOf(a), 0o600);
    // A ca_file that is not there, or not a file: one line each, nothing read.
    const dir = tempDir();
    // A FIFO: refused at once, not waited on until someone writes to it.
    const fifo = join(dir, 'password.fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const fifoConfig = join(dir, 'fifo.toml');
    writeFileSync(fifoConfig, readFileSync(a.config, 'utf8').replace(/^password_file = .*$/m, `password_file = "${fifo}"`));
    const waiting = await a.netns.cli(['--config', fifoConfig, 'fleet', 'status'], { env: a.env });
    assert.deepEqual([waiting.code, waiting.stderr], [2, `stickyban: fleet password_file "${fifo}" is a FIFO; expected a regular file holding a password on one line\n`]);
    // Two lines: which would be the password is a guess, not made.
    const twoLines = join(dir, 'two.password');
    writeFileSync(twoLines, 'secret\nother\n', { mode: 0o600 });
    const twoConfig = join(dir, 'two.toml');
    writeFileSync(twoConfig, readFileSync(a.config, 'utf8').replace(/^password_file = .*$/m, `password_file = "${twoLines}"`));
    const guessed = await a.netns.cli(['--config', twoConfig, 'fleet', 'status'], { env: a.env });
    assert.deepEqual([guessed.code, guessed.stderr], [2, `stickyban: fleet password_file "${twoLines}" holds 2 lines: expected a password on one line\n`]);
    for (const [caFile, code, said] of [
      [join(dir, 'missing.pem'), 2, /^stickyban: cannot read fleet ca_file \/.*missing\.pem: no such file\n$/],
      [dir, 2, /^stickyban: cannot read fleet ca_file \/.*: it is a directory; expected a file\n$/],
    ] as const) {
      const config = join(dir, 'tls.toml');
      writeFileSync(config, `${readFileSync(a.config, 'utf8')}sslmode = "verify-full"\nca_file = "${caFile}"\n`);
      const refused = await a.netns.cli(['--config', config, 'fleet', 'sync'], { env: a.env });
      assert.equal(refused.code, code, refused.stderr);
      assert.match(refused.stderr, said);
    }
  });

  test('bad rows are skipped with one line each, and the sync goes on past them', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const b = await fleetHost(cluster, admin, 'host-b');
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at) VALUES
      (gen_random_uuid(), 'host-a', 'ban', '0.0.0.0/0', 'sshd', now()),
      (gen_random_uuid(), 'host-a', 'ban', '10.0.0.0/8', 'sshd', now()),
      (gen_random_uuid(), 'host-a', 'ban', '192.0.2.1', 'bad jail', now()),
      (gen_random_uuid(), 'bad host!', 'ban', '192.0.2.2', 'sshd', now()),
      (gen_random_uuid(), 'host-a', 'ban', '192.0.2.3', 'sshd', '1900-01-01'),
      (gen_random_uuid(), 'host-a', 'ban', '127.0.0.1', 'sshd', now()),
      (gen_random_uuid(), 'host-a', 'ban', '192.0.2.5', 'sshd', 'infinity'),
      (gen_random_uuid(), 'host-a', 'ban', '192.0.2.6', 'sshd', '-infinity'),
      (gen_random_uuid(), 'host-a', 'ban', '192.0.2.4', 'sshd', now())`);
    const said = await sync(b);
    const skipped = said.split('\n').filter((line) => line.includes('fleet: skipped'));
    assert.equal(skipped.length, 8, said);
    assert.match(said, /skipped event 1: a ban of 0\.0\.0\.0\/0 from host-a is wider than \/16 \(max_prefix4\); refused/);
    assert.match(said, /skipped event 2: a ban of 10\.0\.0\.0\/8 from host-a is wider than \/16/);
    assert.match(said, /skipped event 3: jail "bad jail" is not a jail name/);
    assert.match(said, /skipped event 4: origin "bad host!" is not a host name/);
    assert.match(said, /skipped event 5: time .* is out of range/);
    assert.match(said, /skipped event 6: a ban of 127\.0\.0\.1 from host-a meets 127\.0\.0\.0\/8, loopback/);
    // A time the server cannot turn into seconds (a host role may write one) is skipped like any other.
    assert.match(said, /skipped event 7: time is not finite/);
    assert.match(said, /skipped event 8: time is not finite/);
    assert.deepEqual(query(b.db, 'SELECT address FROM bans'), [{ address: '192.0.2.4' }]);
    assert.match(await sync(b), /applied 0 from other hosts/, 'they are not read again');
  });

  test('fleet-wide lifts and safelist entries come from the admin; every host applies them; a host role is refused', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const [a, b] = [await fleetHost(cluster, admin, 'host-a'), await fleetHost(cluster, admin, 'host-b')];
    assert.equal((await a.cli('ban', '203.0.113.9', '--jail', 'sshd')).code, 0);
    assert.equal((await a.cli('ban', '198.51.100.9', '--jail', 'sshd')).code, 0);
    await sync(a);
    await sync(b);
    assert.deepEqual(await ipsetMembers(b.netns, 'stickyban4'), ['198.51.100.9', '203.0.113.9']);

    const refused = await a.cli('unban', '203.0.113.9', '--fleet');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused it: fleet-wide changes need the admin role \(pass --fleet-url with the admin's URI\)/);

    const lifted = await a.cli('unban', '203.0.113.9', '--fleet-url', admin);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.match(lifted.stdout, /unbanned 203\.0\.113\.9 fleet-wide: every host applies it from/);
    const safe = await a.cli('safelist', 'add', '198.51.100.0/24', '--note', 'partner', '--fleet-url', admin);
    assert.equal(safe.code, 0, safe.stderr);
    await sync(b);
    assert.deepEqual(await ipsetMembers(b.netns, 'stickyban4'), [], 'lifted and safelisted on B too');
    assert.deepEqual(query(b.db, "SELECT address, lifted_by FROM bans WHERE lifted_at IS NOT NULL"), [{ address: '203.0.113.9', lifted_by: 'fleet:host-a' }]);
    assert.equal(query<{ note: string }>(b.db, 'SELECT note FROM safelist')[0]!.note, 'fleet: host-a: partner');
  });

  test('a host that applies a fleet-wide lift late lifts the bans from before it, dated when the admin lifted, not the offences found since', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const late = await fleetHost(cluster, admin, 'host-late');
    // The log: host-g banned it two hours ago, the admin lifted it an hour ago, while host-late was
    // cut off from the database; meanwhile its own fail2ban found the address again, just now.
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at) VALUES
      (gen_random_uuid(), 'host-g', 'ban', '192.0.2.50', 'sshd', now() - interval '2 hours'),
      (gen_random_uuid(), 'admin', 'lift', '192.0.2.50', NULL, now() - interval '1 hour')`);
    const liftedAt = Number(await cluster.sql("SELECT extract(epoch FROM at)::bigint FROM stickyban.events WHERE kind = 'lift'"));
    const store = Store.open({ path: late.db, busyTimeoutMs: 1000 });
    store.write(() => store.bans.insert({ ...banEvent('192.0.2.50'), bannedAt: liftedAt - 1800 }));
    store.close();
    assert.equal((await late.cli('restore')).code, 0);
    assert.equal((await late.cli('ban', '192.0.2.50', '--jail', 'sshd')).code, 0);
    assert.match(await sync(late), /unbanned 192\.0\.2\.50 \(fleet-wide, from admin\): 2 ban events lifted; 1 ban event recorded since it was decided left in force/);
    assert.deepEqual(query(late.db, "SELECT source, lifted_by, lifted_at FROM bans WHERE address = '192.0.2.50' ORDER BY banned_at"), [
      { source: 'fleet:host-g', lifted_by: 'fleet:admin', lifted_at: liftedAt },
      { source: 'fail2ban', lifted_by: 'fleet:admin', lifted_at: liftedAt },
      { source: 'manual', lifted_by: null, lifted_at: null },
    ]);
    assert.deepEqual(await ipsetMembers(late.netns, 'stickyban4'), ['192.0.2.50'], 'the offence after the lift stays blocked');
  });

  test('a fail2ban replay of a ban lifted fleet-wide since stays lifted on a host catching up, in bulk as one by one', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const [few, many] = [await fleetHost(cluster, admin, 'host-few'), await fleetHost(cluster, admin, 'host-many')];
    await appendLiftedReplay(cluster, '192.0.2.91');
    // host-h replays a ban of an address banned by host-g: both paths judge the replay as the ban
    // path does, held (nothing recorded), so the admin's late lift after it lifts the one ban.
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, restored) VALUES
      (gen_random_uuid(), 'host-g', 'ban', '192.0.2.92', 'sshd', now() - interval '2 hours', false)`);
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, restored) VALUES
      (gen_random_uuid(), 'host-h', 'ban', '192.0.2.92', 'sshd', now() - interval '10 minutes', true)`);
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at) VALUES
      (gen_random_uuid(), 'admin', 'lift', '192.0.2.92', NULL, now() - interval '1 hour')`);
    assert.doesNotMatch(await sync(few), /in bulk/);
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at)
      SELECT gen_random_uuid(), 'host-g', 'ban', ('10.9.0.0'::inet + i)::cidr, 'sshd', now() FROM generate_series(1, 2000) AS i`);
    assert.match(await sync(many), /in bulk/);
    for (const host of [few, many]) {
      assert.deepEqual(query(host.db, "SELECT restored, lifted_by FROM bans WHERE address = '192.0.2.91' ORDER BY restored"), [
        { restored: 0, lifted_by: 'fleet:admin' },
        { restored: 1, lifted_by: 'fleet:admin' },
      ], host.name);
      assert.ok(!(await ipsetMembers(host.netns, 'stickyban4')).includes('192.0.2.91'), `${host.name} does not block it again`);
      assert.deepEqual(query(host.db, "SELECT origin, lifted_by FROM bans WHERE address = '192.0.2.92'"), [{ origin: 'host-g', lifted_by: 'fleet:admin' }], host.name);
      assert.ok(!(await ipsetMembers(host.netns, 'stickyban4')).includes('192.0.2.92'), `${host.name} does not block it`);
    }
  });

  test('fleet status shows position, lag, what waits, and every host; init runs again safely; add-host refuses a taken or bad name', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const [a, b] = [await fleetHost(cluster, admin, 'host-a'), await fleetHost(cluster, admin, 'host-b')];
    assert.equal((await a.cli('ban', '192.0.2.9')).code, 0);
    const before = JSON.parse((await a.cli('fleet', 'status', '--json')).stdout) as { waiting_to_publish: number; behind: number; hosts: Array<{ name: string; last_seen: string | null }> };
    assert.equal(before.waiting_to_publish, 1);
    assert.deepEqual(before.hosts.map((host) => host.name), ['host-a', 'host-b']);
    await sync(a);
    const status = JSON.parse((await b.cli('fleet', 'status', '--json')).stdout) as { behind: number; hosts: Array<{ name: string; last_seen: string | null; version: string | null }> };
    assert.equal(status.behind, 1, 'B has not applied A\'s ban yet');
    assert.match(status.hosts.find((host) => host.name === 'host-a')!.last_seen!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(status.hosts.find((host) => host.name === 'host-b')!.last_seen, null);

    const again = await b.cli('fleet', 'init', '--url', admin);
    assert.match(again.stdout, /the fleet schema in .* is current/);
    const taken = await b.cli('fleet', 'add-host', 'host-a', '--url', admin);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /host host-a \(role stickyban_host_a\) is in the fleet already/);
    const bad = await b.cli('fleet', 'add-host', 'x; DROP TABLE stickyban.events', '--url', admin);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^stickyban: invalid host name "x; DROP TABLE stickyban\.events": expected/);
    // PostgreSQL would cut its role's name to 63 bytes: another role than the one named.
    const long = await b.cli('fleet', 'add-host', `h${'x'.repeat(53)}`, '--url', admin);
    assert.deepEqual([long.code, long.stderr.split('\n').length], [2, 2]);
    assert.match(long.stderr, /^stickyban: invalid host name "hx{53}": expected at most 53 characters/);
  });
});

function passwordFileOf(host: FleetHost): string {
  return host.config.replace(/config\.toml$/, 'fleet.password');
}

function readPassword(host: FleetHost): string {
  return readFileSync(passwordFileOf(host), 'utf8').trim();
}

function pgConfigOf(socketDir: string, user: string): pg.ClientConfig {
  return { host: socketDir, user, database: 'stickyban' };
}
