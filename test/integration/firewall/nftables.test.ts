// The nftables backend against a real kernel: a fresh network namespace per test, the real CLI, state
// read back with `nft -j`, and packets over a veth pair for what the firewall really does.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Netns, requireTools } from '../../helpers/netns.js';
import { runProcess } from '../../helpers/cli.js';
import { asNobody, NOBODY } from '../../helpers/nobody.js';
import { tempDir } from '../../helpers/tmp.js';
import { connects, listen, pings, wire } from '../../helpers/veth.js';
import { configuredNewStore } from '../../helpers/store.js';

interface Setup {
  readonly netns: Netns;
  /** Runs the CLI with a config file that selects the nftables backend. */
  readonly cli: (...args: string[]) => Promise<string>;
  readonly db: string;
}

async function setup(netns?: Netns): Promise<Setup> {
  await requireTools('nft', 'nc', 'ping');
  const ns = netns ?? (await Netns.create());
  const { db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = async (...args: string[]): Promise<string> => {
    const result = await ns.cli(['--db', db, '--config', config, ...args]);
    assert.equal(result.code, 0, `stickyban ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return { netns: ns, cli, db };
}

/** The elements of a set in nft's own notation, in the order nft lists them (ascending). */
async function elements(netns: Netns, set: string): Promise<string[]> {
  const listing = JSON.parse(await netns.exec('nft', ['-j', 'list', 'set', 'inet', 'stickyban', set])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  const found = listing.nftables.find((item) => item.set)?.set;
  assert.ok(found, `set ${set} is listed`);
  return (found.elem ?? []).map((elem) => {
    if (typeof elem === 'string') return elem;
    const value = elem as { prefix?: { addr: string; len: number }; range?: [string, string] };
    if (value.prefix) return `${value.prefix.addr}/${value.prefix.len}`;
    if (value.range) return `${value.range[0]}-${value.range[1]}`;
    throw new Error(`unexpected element ${JSON.stringify(elem)}`);
  });
}

async function allElements(netns: Netns): Promise<Record<string, string[]>> {
  const sets: Record<string, string[]> = {};
  for (const set of ['v4_hosts', 'v4', 'v6_hosts', 'v6']) sets[set] = await elements(netns, set);
  return sets;
}

const ruleset = (netns: Netns) => netns.exec('nft', ['list', 'ruleset']);

describe('nftables backend', () => {
  test('restore loads exactly the plan: addresses, CIDRs, adjacent blocks, a safelist split, both families', async () => {
    const { netns, cli } = await setup();
    for (const ban of ['192.0.2.3', '192.0.2.1', '10.0.0.0/8', '10.1.2.3', '198.51.100.128/25', '198.51.100.0/25', '203.0.113.0/24']) await cli('ban', ban);
    for (const ban of ['2001:db8:6::/48', '2001:db8:5::/48', '2001:db8::7', '2001:db8:5::99']) await cli('ban', ban);
    await cli('safelist', 'add', '203.0.113.7');
    assert.match(await cli('restore', '--backend', 'nftables'), /created nftables table inet stickyban\nrestored 13 IPv4 and 3 IPv6 entries with nftables in [\d.]+ s \(0 banned blocks safelisted, 1 split around the safelist\)\n/);

    assert.deepEqual(await allElements(netns), {
      v4_hosts: ['192.0.2.1', '192.0.2.3', '203.0.113.6'],
      // Adjacent blocks stay as the planner made them (no auto-merge); 10.1.2.3 is inside 10.0.0.0/8.
      v4: [
        '10.0.0.0/8',
        '198.51.100.0/25',
        '198.51.100.128/25',
        '203.0.113.0/30',
        '203.0.113.4/31',
        '203.0.113.8/29',
        '203.0.113.16/28',
        '203.0.113.32/27',
        '203.0.113.64/26',
        '203.0.113.128/25',
      ],
      v6_hosts: ['2001:db8::7'],
      v6: ['2001:db8:5::/48', '2001:db8:6::/48'],
    });
    const set = JSON.parse(await netns.exec('nft', ['-j', 'list', 'set', 'inet', 'stickyban', 'v4'])) as { nftables: Array<{ set?: { type: string; flags?: string[] } }> };
    assert.deepEqual(set.nftables.find((item) => item.set)?.set?.flags, ['interval']);
    assert.match(await ruleset(netns), /chain input \{\n\t\ttype filter hook input priority filter - 10; policy accept;\n\t\tip saddr @v4_hosts drop\n\t\tip saddr @v4 drop\n\t\tip6 saddr @v6_hosts drop\n\t\tip6 saddr @v6 drop\n\t\}/);
  });

  test('drops a banned source and passes its safelisted neighbour in the same /24 (ping and TCP, IPv4 and IPv6)', async () => {
    const { netns, cli } = await setup();
    const link = await wire(netns, ['10.9.8.7', '10.9.8.8', 'fd00:99::7', 'fd00:99::8']);
    await listen(link, 2222);
    for (const source of ['10.9.8.7', 'fd00:99::7']) assert.ok(await pings(link, source), `${source} gets through before any restore`);
    await cli('ban', '10.9.8.0/24');
    await cli('ban', 'fd00:99::/64');
    await cli('safelist', 'add', '10.9.8.8');
    await cli('safelist', 'add', 'fd00:99::8');
    await cli('restore');
    for (const [banned, neighbour] of [
      ['10.9.8.7', '10.9.8.8'],
      ['fd00:99::7', 'fd00:99::8'],
    ] as const) {
      assert.equal(await pings(link, banned), false, `ping from ${banned} is dropped`);
      assert.equal(await connects(link, banned, 2222), false, `TCP from ${banned} is dropped`);
      assert.equal(await pings(link, neighbour), true, `ping from safelisted ${neighbour} passes`);
      assert.equal(await connects(link, neighbour, 2222), true, `TCP from safelisted ${neighbour} passes`);
    }
  });

  test('after `nft flush ruleset` a restore brings the table back; restoring twice gives the same ruleset', async () => {
    const { netns, cli } = await setup();
    const link = await wire(netns, ['10.9.8.7']);
    await cli('ban', '10.9.8.7');
    await cli('ban', '2001:db8::/48');
    await cli('restore');
    const first = await ruleset(netns);
    assert.equal(await pings(link, '10.9.8.7'), false);

    await netns.exec('nft', ['flush', 'ruleset']);
    assert.equal(await ruleset(netns), '');
    assert.equal(await pings(link, '10.9.8.7'), true, 'the flush lifted the block');
    assert.match(await cli('restore'), /created nftables table inet stickyban/);
    assert.equal(await pings(link, '10.9.8.7'), false, 'blocked again');
    assert.equal(await ruleset(netns), first);

    const again = await cli('restore');
    assert.doesNotMatch(again, /created/);
    assert.equal(await ruleset(netns), first, 'a second restore changes nothing');
  });

  test("a killed load's batch file beside the store is removed by the next load; a running load's, a link and another user's file are kept", async () => {
    const { cli, db } = await setup();
    await cli('ban', '10.9.8.7');
    const dir = dirname(db);
    const gone = spawnSync('true').pid!;
    const batch = (pid: number, tag: string) => join(dir, `.nft-batch-${pid}-${tag}.json`);
    writeFileSync(batch(gone, 'dead'), '{}', { mode: 0o600 });
    writeFileSync(batch(process.pid, 'running'), '{}', { mode: 0o600 });
    const target = join(tempDir(), 'target');
    writeFileSync(target, 'kept\n');
    symlinkSync(target, batch(gone, 'link'));
    writeFileSync(batch(gone, 'theirs'), '{}', { mode: 0o600 });
    chownSync(batch(gone, 'theirs'), NOBODY, NOBODY);
    writeFileSync(batch(gone, 'wide'), '{}', { mode: 0o644 });
    await cli('restore');
    const kept = [batch(gone, 'link'), batch(gone, 'theirs'), batch(gone, 'wide'), batch(process.pid, 'running')].map((path) => basename(path));
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('.nft-batch-')).sort(),
      kept.sort(),
      "the dead load's file is removed, and nothing else; the load leaves none of its own",
    );
    assert.equal(readFileSync(target, 'utf8'), 'kept\n');
  });

  test('what a local user puts in the temp directory under the batch files\' old names is left alone, and cannot stop a load', async () => {
    const { netns, db } = await setup();
    // A /tmp of this test's own (TMPDIR), so that no other load on this machine looks into it.
    const tmp = mkdtempSync(join(tmpdir(), 'stickyban-test-tmp-'));
    after(() => runProcess('rm', ['-rf', tmp]));
    chmodSync(tmp, 0o1777);
    const gone = spawnSync('true').pid!;
    // Loads used to put their batch in $TMPDIR/stickyban-nft-<pid>-*/ and remove any such folder of
    // a dead pid, whoever owned it, recursively: root deleted what the user chose (links swapped in
    // mid-walk), and a tree too deep to walk (2,500 levels, made with relative paths) failed every load.
    const load = async (...args: string[]) => {
      const result = await netns.cli(['--db', db, '--config', join(dirname(db), 'config.toml'), ...args], { env: { TMPDIR: tmp } });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    };
    await load('ban', '10.9.8.7');
    const planted = join(tmp, `stickyban-nft-${gone}-planted`);
    await asNobody('mkdir "$1" && echo mine > "$1/file"', planted);
    await load('restore');
    assert.equal(readFileSync(join(planted, 'file'), 'utf8'), 'mine\n', 'their file is still there');

    const deep = join(tmp, `stickyban-nft-${gone}-deep`);
    const dig = 'process.chdir(process.argv[1]); for (let i = 0; i < 2500; i++) { require("fs").mkdirSync("d"); process.chdir("d"); }';
    await asNobody('mkdir "$1" && "$2" -e "$3" "$1"', deep, process.execPath, dig);
    await load('restore');
    assert.equal(statSync(join(deep, 'd')).uid, NOBODY, 'their tree is still there');
    assert.equal(readFileSync(join(planted, 'file'), 'utf8'), 'mine\n');
  });

  test("an admin's own table is left exactly as it was by restore, ban and safelist", async () => {
    const { netns, cli } = await setup();
    const admin = `table inet filter {
\tset trusted {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 192.0.2.0/24 }
\t}

\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tip saddr @trusted tcp dport 22 accept
\t\tct state established,related accept
\t}
}
`;
    await netns.exec('nft', ['-f', '-'], { input: admin });
    await cli('ban', '198.51.100.9');
    await cli('restore');
    await cli('restore');
    await cli('ban', '198.51.100.10');
    await cli('safelist', 'add', '198.51.100.9');
    assert.equal(await netns.exec('nft', ['list', 'table', 'inet', 'filter']), admin);
    assert.deepEqual((await netns.exec('nft', ['list', 'tables'])).split('\n').filter(Boolean), ['table inet filter', 'table inet stickyban']);
  });

  test("[nftables] table naming the admin's own table (Debian's inet filter) is refused: a restore would replace it whole", async () => {
    await requireTools('nft');
    const netns = await Netns.create();
    const admin = `table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 22 accept
\t}

\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t}
}
`;
    await netns.exec('nft', ['-f', '-'], { input: admin });
    const { db, config } = configuredNewStore('backend = "nftables"\n[nftables]\ntable = "filter"\n');
    // Recorded; its live add finds no set of stickyban's there and says so.
    assert.equal((await netns.cli(['--db', db, '--config', config, 'ban', '198.51.100.9'])).code, 1);
    const restore = await netns.cli(['--db', db, '--config', config, 'restore']);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /^stickyban: nftables table inet filter is not stickyban's: it holds chain forward, which a restore would delete with it; name a table of stickyban's own in \[nftables\] table\n$/);
    assert.equal(await netns.exec('nft', ['list', 'table', 'inet', 'filter']), admin, 'left exactly as it was');
  });

  test('a ban while the table exists adds the element at once; `safelist add` takes it out at once', async () => {
    const { netns, cli } = await setup();
    const link = await wire(netns, ['10.9.8.7', '10.9.8.20', 'fd00:99::7']);
    await cli('restore');
    assert.equal(await pings(link, '10.9.8.7'), true);

    assert.match(await cli('ban', '10.9.8.7', '--jail', 'sshd'), /^banned 10\.9\.8\.7 \(jail sshd\)\n$/);
    await cli('ban', 'fd00:99::7');
    await cli('ban', '10.9.8.16/28');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['10.9.8.7']);
    assert.deepEqual(await elements(netns, 'v4'), ['10.9.8.16/28']);
    assert.deepEqual(await elements(netns, 'v6_hosts'), ['fd00:99::7']);
    assert.equal(await pings(link, '10.9.8.7'), false, 'dropped right after the ban');
    assert.equal(await pings(link, '10.9.8.20'), false, 'the banned /28 is dropped too');

    await cli('safelist', 'add', '10.9.8.7');
    await cli('safelist', 'add', '10.9.8.20');
    await cli('safelist', 'add', 'fd00:99::7');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['10.9.8.21']);
    assert.deepEqual(await elements(netns, 'v4'), ['10.9.8.16/30', '10.9.8.22/31', '10.9.8.24/29']);
    assert.deepEqual(await elements(netns, 'v6_hosts'), []);
    assert.equal(await pings(link, '10.9.8.7'), true);
    assert.equal(await pings(link, '10.9.8.20'), true);

    // Lifting the safelist entry puts the whole /28 back in one transaction.
    await cli('safelist', 'remove', '10.9.8.20');
    assert.deepEqual(await elements(netns, 'v4_hosts'), []);
    assert.deepEqual(await elements(netns, 'v4'), ['10.9.8.16/28']);
  });

  test('safelist add also takes out a host entry that racing hooks left live inside a banned block', async () => {
    const { netns, cli } = await setup();
    const link = await wire(netns, ['10.9.7.5', '10.9.7.6', 'fd00:97::5']);
    await cli('ban', '10.9.7.5');
    await cli('ban', '10.9.7.0/24');
    await cli('ban', 'fd00:97::5');
    await cli('ban', 'fd00:97::/64');
    await cli('restore');
    assert.deepEqual(await elements(netns, 'v4_hosts'), []);
    // What two hooks finishing in the wrong order leave behind.
    await netns.exec('nft', ['add', 'element', 'inet', 'stickyban', 'v4_hosts', '{ 10.9.7.5 }']);
    await netns.exec('nft', ['add', 'element', 'inet', 'stickyban', 'v6_hosts', '{ fd00:97::5 }']);

    await cli('safelist', 'add', '10.9.7.5');
    await cli('safelist', 'add', 'fd00:97::5');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['10.9.7.4'], 'the stray entry is gone, the split leaves one neighbour as a host');
    assert.deepEqual(await elements(netns, 'v6_hosts'), ['fd00:97::4']);
    assert.equal(await pings(link, '10.9.7.5'), true, 'the safelisted address passes');
    assert.equal(await pings(link, '10.9.7.6'), false, 'its neighbour stays blocked');
    assert.equal(await pings(link, 'fd00:97::5'), true, 'the safelisted IPv6 address passes');
  });

  test('before the first restore a ban is recorded and says the table does not exist yet', async () => {
    const { netns, cli } = await setup();
    assert.match(await cli('ban', '192.0.2.1'), /banned 192\.0\.2\.1 \(jail manual\); nftables table inet stickyban does not exist yet \(stickyban restore creates it\)/);
    assert.equal(await ruleset(netns), '');
    await cli('restore');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['192.0.2.1'], 'the next restore loads it');
  });

  test('a table of that name made by hand: the hook says what is wrong in one line; restore replaces it', async () => {
    const { netns, db, cli } = await setup();
    await netns.exec('nft', ['-f', '-'], { input: 'table inet stickyban {\n set v4 { type ipv4_addr; }\n chain input { type filter hook input priority 0; policy accept; }\n}\n' });
    const result = await netns.cli(['--db', db, '--config', join(db, '..', 'config.toml'), 'ban', '192.0.2.1']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^stickyban: recorded 192\.0\.2\.1 \(jail manual\), but the live set was not updated: nftables table inet stickyban is not laid out as stickyban makes it \(.*\); stickyban restore replaces the whole table \(keep your own rules in another table\)\n$/);
    await cli('restore');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['192.0.2.1'], 'the ban was recorded; the restore loads it');
  });

  test('many bans at once, some nested in others, all succeed and block what the store says', async () => {
    const { netns, cli } = await setup();
    await cli('restore');
    const hosts = Array.from({ length: 30 }, (_, i) => `10.7.${i % 3}.${i + 1}`);
    const blocks = ['10.7.0.0/24', '10.7.1.0/25', '2001:db8:7::/48'];
    // cli() asserts that each one exits 0.
    await Promise.all([...hosts, ...blocks, '2001:db8:7::1'].map((address) => cli('ban', address, '--jail', 'sshd')));
    // Racing hooks may leave an address inside a block they banned too; that blocks the same. The
    // next restore makes the set exactly the plan.
    const live = await allElements(netns);
    for (const block of ['10.7.0.0/24', '10.7.1.0/25']) assert.ok(live.v4!.includes(block), `${block} is live`);
    const uncovered = hosts.filter((host) => !host.startsWith('10.7.0.') && !(host.startsWith('10.7.1.') && Number(host.split('.')[3]) < 128));
    for (const host of uncovered) assert.ok(live.v4_hosts!.includes(host), `${host} is live`);
    assert.ok(live.v6!.includes('2001:db8:7::/48'));
    await cli('restore');
    assert.deepEqual(await allElements(netns), {
      v4_hosts: uncovered.sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3])),
      v4: ['10.7.0.0/24', '10.7.1.0/25'],
      v6_hosts: [],
      v6: ['2001:db8:7::/48'],
    });
  });

  test('the hook does not fail when the live set changed behind its back', async () => {
    const { netns, cli } = await setup();
    await cli('ban', '192.0.2.1');
    await cli('ban', '10.20.0.0/16');
    await cli('restore');
    // An admin removes entries by hand and adds an overlapping block of their own.
    await netns.exec('nft', ['delete', 'element', 'inet', 'stickyban', 'v4_hosts', '{ 192.0.2.1 }']);
    await netns.exec('nft', ['delete', 'element', 'inet', 'stickyban', 'v4', '{ 10.20.0.0/16 }']);
    await netns.exec('nft', ['add', 'element', 'inet', 'stickyban', 'v4', '{ 10.20.0.0/17, 11.0.0.0/8 }']);

    // Each of these would fail a plain transaction: the address and the /16 to delete are gone, and the
    // /16 to add overlaps the admin's /8.
    assert.equal(await cli('safelist', 'add', '192.0.2.1'), 'safelisted 192.0.2.1; 1 live entry removed\n');
    assert.equal(await cli('safelist', 'add', '10.20.5.5'), 'safelisted 10.20.5.5; 1 live entry removed\n');
    assert.equal(await cli('ban', '11.2.0.0/16'), 'banned 11.2.0.0/16 (jail manual)\n');
    // The /16 minus 10.20.5.5 is blocked as the store says; the admin's lower /17 went with the /16 it was part of.
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['10.20.5.4']);
    assert.deepEqual(await elements(netns, 'v4'), [
      '10.20.0.0/22',
      '10.20.4.0/24',
      '10.20.5.0/30',
      '10.20.5.6/31',
      '10.20.5.8/29',
      '10.20.5.16/28',
      '10.20.5.32/27',
      '10.20.5.64/26',
      '10.20.5.128/25',
      '10.20.6.0/23',
      '10.20.8.0/21',
      '10.20.16.0/20',
      '10.20.32.0/19',
      '10.20.64.0/18',
      '10.20.128.0/17',
      '11.0.0.0/8',
    ]);
  });
});
