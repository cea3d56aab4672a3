import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULTS } from '../../../../src/config/config.js';
import { checkPresence, checkTable, checkTableFlags } from '../../../../src/firewall/nftables/check.js';
import { parseTable, parseTableChains } from '../../../../src/firewall/nftables/json.js';
import { NFT_CHAINS, NFT_TABLE_EDITED, NFT_TABLE_EMPTY, NFT_TABLE_FOREIGN, NFT_TABLE_FULL } from '../fixtures.js';

const problems = (json: string | undefined, settings = DEFAULTS.nftables) =>
  checkTable(json === undefined ? undefined : parseTable(json), settings)
    .checks.filter((check) => !check.ok)
    .map((check) => `${check.what}: ${check.problem}`);

describe('checkTable', () => {
  test('a table as restore leaves it passes every check and counts entries of both sets per family', () => {
    const inspection = checkTable(parseTable(NFT_TABLE_FULL), DEFAULTS.nftables);
    assert.deepEqual(problems(NFT_TABLE_FULL), []);
    assert.equal(inspection.checks.length, 1 + 4 + 1 + 4, 'table, four sets, chain, four rules');
    assert.deepEqual(inspection.entries, { v4: 7, v6: 4 });
    assert.deepEqual(checkTable(parseTable(NFT_TABLE_EMPTY), DEFAULTS.nftables).entries, { v4: 0, v6: 0 });
  });

  test('no table: one failed check, no entries', () => {
    assert.deepEqual(checkTable(undefined, DEFAULTS.nftables), {
      checks: [{ what: 'nftables table inet stickyban', ok: false, problem: 'does not exist' }],
      entries: { v4: undefined, v6: undefined },
    });
  });

  test('an admin edit: policy drop, a rule deleted, a rule duplicated', () => {
    assert.deepEqual(problems(NFT_TABLE_EDITED), [
      'nftables chain input (type filter hook input priority -10, policy accept): has policy drop',
      'rule "ip saddr @v4 drop" in chain input: duplicated',
      'rule "ip6 saddr @v6 drop" in chain input: missing',
    ]);
  });

  test('a foreign table of the same name: wrong types and flags, another priority, no rules', () => {
    assert.deepEqual(problems(NFT_TABLE_FOREIGN), [
      'nftables set v4_hosts (ipv4_addr): does not exist',
      'nftables set v4 (ipv4_addr, flags interval): lacks flags interval, so CIDR blocks cannot match',
      'nftables set v6_hosts (ipv6_addr): has flags interval',
      'nftables set v6 (ipv6_addr, flags interval): has type inet_service',
      'nftables chain input (type filter hook input priority -10, policy accept): has priority 0',
      'rule "ip saddr @v4_hosts drop" in chain input: missing',
      'rule "ip saddr @v4 drop" in chain input: missing',
      'rule "ip6 saddr @v6_hosts drop" in chain input: missing',
      'rule "ip6 saddr @v6 drop" in chain input: missing',
    ]);
    assert.deepEqual(checkTable(parseTable(NFT_TABLE_FOREIGN), DEFAULTS.nftables).entries, { v4: undefined, v6: undefined });
  });

  test('the configured priority is the one expected', () => {
    assert.deepEqual(problems(NFT_TABLE_FULL, { table: 'stickyban', priority: 0 }), [
      'nftables chain input (type filter hook input priority 0, policy accept): has priority -10',
    ]);
  });
});

describe('checkPresence', () => {
  test('our chain in `nft list chains` is enough for the daemon; none means the table is gone', () => {
    assert.deepEqual(checkPresence(parseTableChains(NFT_CHAINS, 'stickyban'), DEFAULTS.nftables).map((check) => check.ok), [true]);
    assert.deepEqual(checkPresence(parseTableChains(NFT_CHAINS, 'other'), DEFAULTS.nftables), [
      { what: 'nftables table inet stickyban', ok: false, problem: 'does not exist' },
    ]);
    const moved = checkPresence(parseTableChains(NFT_CHAINS, 'stickyban'), { ...DEFAULTS.nftables, priority: 5 });
    assert.deepEqual(moved.map((check) => check.problem), ['has priority -10']);
  });
});

describe('checkTableFlags', () => {
  test('a dormant table filters nothing: its flags as nft 1.0.6 prints them (garbage, for a table that has some) or as later ones name them', () => {
    // The table object of `nft -j list table inet stickyban` after `nft add table inet stickyban { flags dormant; }` (1.0.6).
    const listed = (flags: string) => `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "stickyban", "handle": 2${flags}}}]}`;
    const checked = (flags: string) => {
      const check = checkTableFlags(parseTable(listed(flags)).flags, DEFAULTS.nftables);
      return [check.ok, check.problem];
    };
    assert.deepEqual(checked(''), [true, undefined]);
    assert.deepEqual(checked(', "flags": "c"'), [false, 'has table flags stickyban did not set (flags dormant turns the table off; this nft does not print which)']);
    assert.deepEqual(checked(', "flags": "dormant"'), [false, 'is dormant (flags dormant): its chain filters nothing']);
    assert.deepEqual(checked(', "flags": ["dormant"]'), [false, 'is dormant (flags dormant): its chain filters nothing']);
    assert.deepEqual(checked(', "flags": ["owner"]'), [true, undefined]);
    const full = checkTable(parseTable(NFT_TABLE_FULL.replace('"name": "stickyban", "handle"', '"name": "stickyban", "flags": "c", "handle"')), DEFAULTS.nftables);
    assert.equal(full.checks.filter((check) => !check.ok).length, 1, 'doctor reads them from its listing');
  });
});
