import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRules } from '../../../src/firewall/iptables-rules.js';

const wanted = { chain: 'Blocklist', set: 'stickyban4', hookChains: ['INPUT', 'FORWARD', 'DOCKER-USER'] };
const lines = (plan: ReturnType<typeof planRules>) => plan.commands.map((command) => command.line);

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
    assert.deepEqual(planRules(listing, wanted), { commands: [], absentHooks: [] });
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
    assert.ok(plan.commands.every((command) => command.why === 'removed 2 duplicate jump from INPUT to Blocklist (one kept, first in INPUT)'));
  });
});
