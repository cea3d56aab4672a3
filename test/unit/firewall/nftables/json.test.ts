import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAddress } from '../../../../src/address/format.js';
import type { Family, Range } from '../../../../src/address/network.js';
import { parseElement, parseSetListing, parseTable, parseTableChains } from '../../../../src/firewall/nftables/json.js';
import { NFT_CHAINS, NFT_SET_EMPTY, NFT_SET_TIMEOUT, NFT_TABLE_EDITED, NFT_TABLE_EMPTY, NFT_TABLE_FULL } from '../fixtures.js';

const text = (family: Family, ranges: Range<number | bigint>[]) => ranges.map((r) => `${formatAddress(family, r.first)}-${formatAddress(family, r.last)}`);

describe('parseTable', () => {
  test('reads sets with every element form, the base chain and the rules of a real listing', () => {
    const table = parseTable(NFT_TABLE_FULL);
    assert.deepEqual(
      table.sets.map((set) => [set.name, set.type, set.flags]),
      [
        ['v4_hosts', 'ipv4_addr', []],
        ['v4', 'ipv4_addr', ['interval']],
        ['v6_hosts', 'ipv6_addr', []],
        ['v6', 'ipv6_addr', ['interval']],
      ],
    );
    assert.deepEqual(text(4, table.sets[0]!.elements), ['192.0.2.1-192.0.2.1', '198.51.100.7-198.51.100.7', '203.0.113.200-203.0.113.200']);
    assert.deepEqual(text(4, table.sets[1]!.elements), [
      '10.0.0.0-10.255.255.255',
      '172.16.0.0-172.31.255.255',
      '198.51.100.0-198.51.100.3',
      '203.0.113.3-203.0.113.9',
    ]);
    // IPv4-mapped addresses stay in the IPv6 key space.
    assert.deepEqual(text(6, table.sets[2]!.elements), ['::ffff:102:304-::ffff:102:304', '2001:db8::1-2001:db8::1']);
    assert.deepEqual(text(6, table.sets[3]!.elements), ['::ffff:0:0-::ffff:ffff:ffff', '2001:db8:5::-2001:db8:5:ffff:ffff:ffff:ffff:ffff']);
    assert.deepEqual(table.chains, [{ name: 'input', type: 'filter', hook: 'input', prio: -10, policy: 'accept' }]);
    assert.deepEqual(
      table.rules.map((rule) => [rule.chain, rule.text]),
      [
        ['input', 'ip saddr @v4_hosts drop'],
        ['input', 'ip saddr @v4 drop'],
        ['input', 'ip6 saddr @v6_hosts drop'],
        ['input', 'ip6 saddr @v6 drop'],
      ],
    );
  });

  test('sets without elements are empty; a rule that is not a plain set match has no text', () => {
    assert.deepEqual(parseTable(NFT_TABLE_EMPTY).sets.map((set) => set.elements.length), [0, 0, 0, 0]);
    const edited = parseTable(NFT_TABLE_EDITED);
    assert.equal(edited.chains[0]!.policy, 'drop');
    assert.deepEqual(edited.rules.map((rule) => rule.text), ['ip saddr @v4_hosts drop', 'ip saddr @v4 drop', 'ip6 saddr @v6_hosts drop', 'ip saddr @v4 drop', undefined]);
  });

  test('refuses output that is not nft JSON', () => {
    assert.throws(() => parseTable('[]'), /no "nftables" array/);
  });
});

describe('parseSetListing and parseElement', () => {
  test('one set of `nft -j list set`, empty or with wrapped elements', () => {
    assert.deepEqual(parseSetListing(NFT_SET_EMPTY), { name: 'v6_hosts', type: 'ipv6_addr', flags: [], elements: [] });
    assert.deepEqual(parseSetListing(NFT_SET_TIMEOUT)!.elements, [{ first: 0x01020304, last: 0x01020304 }]);
  });

  test('a /0 prefix spans the whole space; an unknown form is an error, not a guess', () => {
    assert.deepEqual(parseElement(4, { prefix: { addr: '0.0.0.0', len: 0 } }), { first: 0, last: 2 ** 32 - 1 });
    assert.deepEqual(parseElement(6, { prefix: { addr: '::', len: 0 } }), { first: 0n, last: (1n << 128n) - 1n });
    assert.throws(() => parseElement(4, { concat: ['1.2.3.4', 22] }), /unexpected nft set element/);
    assert.throws(() => parseElement(4, '2001:db8::1'), /unexpected address/);
  });
});

describe('parseTableChains', () => {
  test('the chains of one table in `nft -j list chains inet`', () => {
    assert.deepEqual(parseTableChains(NFT_CHAINS, 'filter').map((chain) => chain.name), ['input']);
    assert.deepEqual(parseTableChains(NFT_CHAINS, 'absent'), []);
  });
});

describe('verdicts of rules', () => {
  test('a verdict map: "vmap" when it may let a packet on (an accept among its verdicts, a named map), its one verdict otherwise', () => {
    // `nft -j list chain` of: ip saddr vmap { 10.9.0.0/16 : accept, 10.8.0.1 : drop }; ip saddr vmap @m; ip saddr vmap { 192.0.2.9 : drop }; queue.
    const listed = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 3, "expr": [{"vmap": {"key": {"payload": {"protocol": "ip", "field": "saddr"}}, "data": {"set": [["10.8.0.1", {"drop": null}], [{"prefix": {"addr": "10.9.0.0", "len": 16}}, {"accept": null}]]}}}]}}, {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 5, "expr": [{"vmap": {"key": {"payload": {"protocol": "ip", "field": "saddr"}}, "data": "@m"}}]}}, {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 6, "expr": [{"vmap": {"key": {"payload": {"protocol": "ip", "field": "saddr"}}, "data": {"set": [["192.0.2.9", {"drop": null}]]}}}]}}, {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 7, "expr": [{"queue": {"num": 0}}]}}]}';
    assert.deepEqual(parseTable(listed).rules.map((rule) => [rule.handle, rule.verdict]), [[3, 'vmap'], [5, 'vmap'], [6, 'drop'], [7, 'queue']]);
  });
});
