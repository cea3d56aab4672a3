import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRetire, planRules } from '../../../../src/firewall/ipset/iptables-rules.js';

const wanted = { chain: 'Blocklist', set: 'stickyban4', hookChains: ['INPUT', 'FORWARD', 'DOCKER-USER'] };
const lines = (plan: ReturnType<typeof planRules>) => plan.repairs.flatMap((repair) => repair.lines);

describe('planRules (iptables -S in, iptables-restore lines out)', () => {
  test('an empty filter table: the chain, our rule and a jump from each hook chain that exists', () => {
    const plan = planRules('-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n', wanted);
    assert.deepEqual(lines(plan), [
      ':Blocklist - [0:0]',
      '-I Blocklist 1 -m set --match-set stickyban4 src -j DROP',
      '-I INPUT 1 -j Blocklist',
      '-I FORWARD 1 -j Blocklist',
    ]);
    assert.deepEqual(plan.absentHooks, ['DOCKER-USER']);
  });

  test('everything in place: nothing to do; a user-defined hook chain counts once declared', () => {
    const listing = [
      '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-N Blocklist', '-N DOCKER-USER',
      '-A INPUT -j Blocklist', '-A FORWARD -j Blocklist', '-A DOCKER-USER -j Blocklist',
      '-A Blocklist -m set --match-set stickyban4 src -j DROP',
    ].join('\n');
    assert.deepEqual(planRules(listing, wanted), { repairs: [], absentHooks: [], shadowing: [] });
  });

  test('duplicates: all copies deleted and one inserted first, in one transaction; our existing chain is never redeclared', () => {
    const listing = [
      '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-N Blocklist', '-N DOCKER-USER',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -j Blocklist', '-A INPUT -j Blocklist', '-A INPUT -j Blocklist',
      '-A FORWARD -j Blocklist', '-A DOCKER-USER -j Blocklist',
      '-A Blocklist -m set --match-set stickyban4 src -j DROP',
    ].join('\n');
    const plan = planRules(listing, wanted);
    assert.deepEqual(lines(plan), ['-D INPUT -j Blocklist', '-D INPUT -j Blocklist', '-D INPUT -j Blocklist', '-I INPUT 1 -j Blocklist']);
    assert.ok(plan.repairs.every((repair) => repair.why === 'removed 2 duplicate jump from INPUT to Blocklist (one kept, first in INPUT)'));
  });

  test("the admin's rules that let packets past the drop: in our chain any ACCEPT or RETURN ahead of it, in a hook chain one that takes every packet", () => {
    const listing = [
      '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-N Blocklist', '-N DOCKER-USER',
      '-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -j ACCEPT', '-A INPUT -j Blocklist', '-A INPUT -j RETURN',
      '-A FORWARD -j RETURN', '-A FORWARD -j Blocklist', '-A DOCKER-USER -j Blocklist',
      '-A Blocklist -s 10.0.0.0/8 -j RETURN', '-A Blocklist -p tcp -m tcp --dport 22 -j LOG', '-A Blocklist -m set --match-set stickyban4 src -j DROP', '-A Blocklist -j ACCEPT',
    ].join('\n');
    const plan = planRules(listing, wanted);
    assert.deepEqual(plan.repairs, []);
    assert.deepEqual(plan.shadowing, [
      { chain: 'Blocklist', rule: '-A Blocklist -s 10.0.0.0/8 -j RETURN' },
      { chain: 'INPUT', rule: '-A INPUT -j ACCEPT' },
      { chain: 'FORWARD', rule: '-A FORWARD -j RETURN' },
    ]);
    // A rule put back goes first: nothing is ahead of it.
    assert.deepEqual(planRules(listing.replace('-A INPUT -j Blocklist\n', ''), wanted).shadowing, [
      { chain: 'Blocklist', rule: '-A Blocklist -s 10.0.0.0/8 -j RETURN' },
      { chain: 'FORWARD', rule: '-A FORWARD -j RETURN' },
    ]);
  });
});

describe('planRetire (iptables -S in, the lines that take our rule out)', () => {
  const wanted = { chain: 'Blocklist', set: 'stickyban4' };
  const table = (...rules: string[]) => ['-P INPUT ACCEPT', '-N Blocklist', '-A INPUT -j Blocklist', '-A FORWARD -i eth0 -g Blocklist', ...rules].join('\n');
  const ours = '-A Blocklist -m set --match-set stickyban4 src -j DROP';

  test('only our rule in the chain: every copy, every jump to it, then the chain', () => {
    assert.deepEqual(planRetire(table(ours, ours), wanted), [
      '-D Blocklist -m set --match-set stickyban4 src -j DROP',
      '-D Blocklist -m set --match-set stickyban4 src -j DROP',
      '-D INPUT -j Blocklist',
      '-D FORWARD -i eth0 -g Blocklist',
      '-X Blocklist',
    ]);
  });

  test("the admin's own rules keep the chain and its jumps; no rule of ours, nothing to do", () => {
    assert.deepEqual(planRetire(table(ours, '-A Blocklist -s 192.0.2.66/32 -j DROP'), wanted), ['-D Blocklist -m set --match-set stickyban4 src -j DROP']);
    assert.deepEqual(planRetire(table('-A Blocklist -s 192.0.2.66/32 -j DROP'), wanted), []);
    assert.deepEqual(planRetire(table('-A Blocklist -m set --match-set other4 src -j DROP'), wanted), []);
  });
});
