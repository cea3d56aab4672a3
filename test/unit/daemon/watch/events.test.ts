import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../../../../src/config/config.js';
import { isRelevant, watchTargets } from '../../../../src/daemon/watch/events.js';

// Lines `nft -j monitor destroy` printed (nft 1.0.6) for an iptables-restore of iptables-nft, an
// `nft flush ruleset` and fail2ban at work.
const IPTABLES_RESTORE = [
  '{"delete": {"rule": {"family": "ip", "table": "filter", "chain": "Blocklist", "handle": 4, "expr": [{"xt": {"type": "match", "name": "set"}}, {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}}',
  '{"delete": {"rule": {"family": "ip", "table": "filter", "chain": "INPUT", "handle": 3, "expr": [{"counter": {"packets": 0, "bytes": 0}}, {"jump": {"target": "Blocklist"}}]}}}',
  '{"delete": {"chain": {"family": "ip", "table": "filter", "name": "Blocklist", "handle": 1}}}',
  '{"delete": {"table": {"family": "ip", "name": "filter", "handle": 1}}}',
];
const FAIL2BAN_UNBAN = '{"delete": {"rule": {"family": "ip", "table": "filter", "chain": "f2b-sshd", "handle": 9, "expr": []}}}';
const OUR_ELEMENT = '{"delete": {"element": {"family": "inet", "table": "stickyban", "name": "v4_hosts", "elem": {"set": ["10.0.1.1"]}}}}';
const OUR_TABLE = '{"delete": {"table": {"family": "inet", "name": "stickyban", "handle": 4}}}';
// What a live add leaves in the monitor: its probe chain, added and deleted in its own transaction
// (firewall/nftables/script.ts).
const OUR_PROBE = [
  '{"delete": {"rule": {"family": "inet", "table": "stickyban", "chain": "probe", "handle": 19, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "nfproto"}}, "right": "ipv4"}}, {"drop": null}]}}}',
  '{"delete": {"chain": {"family": "inet", "table": "stickyban", "name": "probe", "handle": 18}}}',
];
const IP6_JUMP = '{"delete": {"rule": {"family": "ip6", "table": "filter", "chain": "INPUT", "handle": 7, "expr": []}}}';

test('ipset backend: a deletion in the filter tables that can take our rule or jumps matters; fail2ban at work does not', () => {
  const targets = watchTargets(DEFAULTS);
  for (const line of [...IPTABLES_RESTORE, IP6_JUMP]) assert.equal(isRelevant(line, targets), true, line);
  for (const line of [FAIL2BAN_UNBAN, OUR_ELEMENT, OUR_TABLE, 'not json', '{"add": {"table": {"family": "ip", "name": "filter"}}}', '{"delete": 1}']) {
    assert.equal(isRelevant(line, targets), false, line);
  }
});

test('nftables backend: our own table, chain, set or rule deleted matters; our element changes, our live adds\' probe and the filter tables do not', () => {
  const targets = watchTargets({ ...DEFAULTS, backend: 'nftables' });
  assert.equal(isRelevant(OUR_TABLE, targets), true);
  assert.equal(isRelevant('{"delete": {"chain": {"family": "inet", "table": "stickyban", "name": "input", "handle": 1}}}', targets), true);
  for (const line of [OUR_ELEMENT, ...OUR_PROBE, ...IPTABLES_RESTORE, '{"delete": {"table": {"family": "inet", "name": "other", "handle": 4}}}']) assert.equal(isRelevant(line, targets), false, line);
});

test('a renamed chain or table is followed', () => {
  const config = { ...DEFAULTS, ipset: { ...DEFAULTS.ipset, chain: 'Drop4', hookChains: ['INPUT', 'FORWARD'] } };
  assert.equal(isRelevant('{"delete": {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 2}}}', watchTargets(config)), true);
  assert.equal(isRelevant(IPTABLES_RESTORE[0]!, watchTargets(config)), false, 'Blocklist is not ours then');
});
