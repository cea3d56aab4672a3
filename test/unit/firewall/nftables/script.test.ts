import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { V4, V6, type Cidr, type Range } from '../../../../src/address/network.js';
import { parseNetwork } from '../../../../src/address/parse.js';
import { DEFAULTS } from '../../../../src/config/config.js';
import { formatElement, hostsSize, nftScript, oneLine, setChanges, updateScript } from '../../../../src/firewall/nftables/script.js';
import { diffEntries } from '../../../../src/plan/diff.js';
import { planFamily, type Plan } from '../../../../src/plan/plan.js';
import { entriesSource, type FamilyPlanSource, type PlanSource } from '../../../../src/plan/stream.js';

const v4 = (text: string) => parseNetwork(text) as Cidr<number>;
const v6 = (text: string) => parseNetwork(text) as Cidr<bigint>;
const byFirst = <K extends number | bigint>(a: Range<K>, b: Range<K>) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0);

function plan(bans4: string[], bans6: string[], safe4: string[] = []): Plan {
  return {
    v4: planFamily(V4, bans4.map(v4).sort(byFirst), safe4.map(v4)),
    v6: planFamily(V6, bans6.map(v6).sort(byFirst), []),
  };
}

function sources(plan: Plan): PlanSource {
  return { v4: entriesSource(plan.v4.entries), v6: entriesSource(plan.v6.entries) };
}

/**
 * Entries planned a page of `size` at a time, and the last one only after the last page, as the
 * store's planner holds back the last block it read (the next page might hold blocks inside it).
 */
function paged<K extends number | bigint>(entries: readonly Cidr<K>[], size: number): FamilyPlanSource<K> {
  return {
    *pages(sink) {
      for (let i = 0; i < entries.length - 1; i += size) {
        for (const entry of entries.slice(i, Math.min(i + size, entries.length - 1))) sink.entry(entry);
        yield;
      }
      if (entries.length > 0) sink.entry(entries[entries.length - 1]!);
    },
  };
}

describe('nftScript', () => {
  test('renders the whole table: addresses to the hash sets, blocks to the interval sets, the chain', () => {
    const text = [...nftScript(sources(plan(['192.0.2.1', '198.51.100.0/30', '10.0.0.0/8'], ['2001:db8::7', '2001:db8:5::/48'], ['198.51.100.2'])), DEFAULTS.nftables)].join('');
    assert.equal(
      text,
      `# stickyban: replaces table inet stickyban in one transaction
table inet stickyban
delete table inet stickyban
table inet stickyban {
\tset v4_hosts {
\t\ttype ipv4_addr
\t\tsize 65536
\t\telements = {
\t\t\t192.0.2.1,
\t\t\t198.51.100.3,
\t\t}
\t}
\tset v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = {
\t\t\t10.0.0.0/8,
\t\t\t198.51.100.0/31,
\t\t}
\t}
\tset v6_hosts {
\t\ttype ipv6_addr
\t\tsize 65536
\t\telements = {
\t\t\t2001:db8::7,
\t\t}
\t}
\tset v6 {
\t\ttype ipv6_addr
\t\tflags interval
\t\telements = {
\t\t\t2001:db8:5::/48,
\t\t}
\t}
\tchain input {
\t\ttype filter hook input priority -10; policy accept;
\t\tip saddr @v4_hosts drop
\t\tip saddr @v4 drop
\t\tip6 saddr @v6_hosts drop
\t\tip6 saddr @v6 drop
\t}
}
`,
    );
  });

  test('an empty set has no elements line (nft refuses "elements = { }"); table name and priority come from the config', () => {
    const text = [...nftScript(sources(plan([], [])), { table: 'sb-test.1', priority: 5 })].join('');
    assert.doesNotMatch(text, /elements/);
    assert.match(text, /^table inet sb-test\.1\ndelete table inet sb-test\.1\ntable inet sb-test\.1 \{$/m);
    assert.match(text, /type filter hook input priority 5; policy accept;/);
  });

  test('streams a large plan in chunks, a chunk per page planned, and keeps every entry once, in order', () => {
    const bans = Array.from({ length: 5000 }, (_, i) => ({ first: 0x0a000000 + i * 2, last: 0x0a000000 + i * 2, prefix: 32 }));
    const chunks = [...nftScript({ v4: paged(planFamily(V4, bans, []).entries, 1000), v6: entriesSource<bigint>([]) }, DEFAULTS.nftables)];
    assert.equal(chunks.filter((chunk) => /^(\t\t\t10\.\S+,\n){1000}$/.test(chunk)).length, 4);
    const elements = chunks.join('').match(/^\t\t\t10\.\S+,$/gm)!;
    assert.equal(elements.length, 5000);
    assert.equal(elements[0], '\t\t\t10.0.0.0,');
    assert.equal(elements[4999], '\t\t\t10.0.39.14,');
    assert.match(chunks.join(''), /size 65536\n/);
  });
});

describe('hostsSize', () => {
  test('leaves room for twice the entries, at least 65536', () => {
    assert.equal(hostsSize(0), 65_536);
    assert.equal(hostsSize(40_000), 131_072);
    assert.equal(hostsSize(1_000_000), 2_097_152);
  });
});

describe('updateScript', () => {
  test('deletes first (an address re-added right before its delete, a block plainly), then adds; adds declare their set, after a probe of it', () => {
    const before = plan(['192.0.2.1', '203.0.113.0/24'], ['2001:db8::1']);
    const after = plan(['192.0.2.0/24', '203.0.113.0/24'], ['2001:db8::1', '2001:db8::2'], ['203.0.113.7']);
    const changes = { 4: setChanges(4, diffEntries(before.v4.entries, after.v4.entries)), 6: setChanges(6, diffEntries(before.v6.entries, after.v6.entries)) };
    assert.equal(
      updateScript('stickyban', changes),
      `add chain inet stickyban probe
add rule inet stickyban probe ip saddr @v4_hosts
add rule inet stickyban probe ip saddr @v4
add rule inet stickyban probe ip6 saddr @v6_hosts
delete chain inet stickyban probe
add set inet stickyban v4_hosts { type ipv4_addr; elements = { 192.0.2.1 }; }
delete element inet stickyban v4_hosts { 192.0.2.1 }
delete element inet stickyban v4 { 203.0.113.0/24 }
add set inet stickyban v4_hosts { type ipv4_addr; elements = { 203.0.113.6 }; }
add set inet stickyban v4 { type ipv4_addr; flags interval; elements = { 192.0.2.0/24, 203.0.113.0/30, 203.0.113.4/31, 203.0.113.8/29, 203.0.113.16/28, 203.0.113.32/27, 203.0.113.64/26, 203.0.113.128/25 }; }
add set inet stickyban v6_hosts { type ipv6_addr; elements = { 2001:db8::2 }; }
`,
    );
  });

  test('never an element command for an add (nft 1.0.6 reads every interval set back before one); a block delete alone needs no probe', () => {
    const add = { first: 0x0a000000, last: 0x0a0000ff, prefix: 24 };
    const adds = updateScript('stickyban', { 4: setChanges(4, { add: [add], del: [] }), 6: setChanges(6, { add: [], del: [] }) });
    assert.doesNotMatch(adds, /add element/);
    assert.equal(updateScript('stickyban', { 4: setChanges(4, { add: [], del: [add] }), 6: setChanges(6, { add: [], del: [] }) }), 'delete element inet stickyban v4 { 10.0.0.0/24 }\n');
  });

  test('splits a long list into statements of 2048 elements', () => {
    const add = Array.from({ length: 5000 }, (_, i) => ({ first: i, last: i, prefix: 32 }));
    const text = updateScript('stickyban', { 4: setChanges(4, { add, del: [] }), 6: setChanges(6, { add: [], del: [] }) });
    assert.deepEqual(text.split('\n').filter((line) => line.startsWith('add set')).map((line) => line.split(', ').length), [2048, 2048, 904]);
  });
});

describe('oneLine', () => {
  test('joins a script\'s commands by semicolons into one line, for nft -i to run as one transaction', () => {
    const script = updateScript('stickyban', { 4: setChanges(4, { add: [{ first: 1, last: 1, prefix: 32 }], del: [{ first: 0x0a000000, last: 0x0a0000ff, prefix: 24 }] }), 6: setChanges(6, { add: [], del: [] }) });
    const line = oneLine(script);
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.deepEqual(line.slice(0, -1).split('; ').filter((part) => /^(add|delete) (chain|rule|set|element) /.test(part)).length, script.split('\n').length - 1);
    assert.match(line, /^add chain inet stickyban probe; add rule inet stickyban probe ip saddr @v4_hosts; delete chain inet stickyban probe; delete element inet stickyban v4 \{ 10\.0\.0\.0\/24 \}; add set inet stickyban v4_hosts \{ type ipv4_addr; elements = \{ 0\.0\.0\.1 \}; \}\n$/);
  });
});

describe('formatElement', () => {
  test('a CIDR block in CIDR notation, an address plain, any other range as first-last', () => {
    assert.equal(formatElement(4, { first: 0x0a000000, last: 0x0affffff }), '10.0.0.0/8');
    assert.equal(formatElement(4, { first: 0xc0000201, last: 0xc0000201 }), '192.0.2.1');
    assert.equal(formatElement(4, { first: 0xcb007103, last: 0xcb007109 }), '203.0.113.3-203.0.113.9');
    assert.equal(formatElement(4, { first: 0x0a000001, last: 0x0a000002 }), '10.0.0.1-10.0.0.2', 'two addresses, but not aligned');
    assert.equal(formatElement(6, { first: 0n, last: (1n << 128n) - 1n }), '::/0');
    assert.equal(formatElement(6, v6('2001:db8:5::/48')), '2001:db8:5::/48');
  });
});
