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

  test("the admin's rules that let packets past the drop: in our chain any ACCEPT or RETURN ahead of it, in a hook chain all but the loopback's and established connections'", () => {
    const listing = [
      '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-N Blocklist', '-N DOCKER-USER',
      '-A INPUT -i lo -j ACCEPT', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -m state --state ESTABLISHED -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -j ACCEPT', '-A INPUT -j Blocklist', '-A INPUT -j RETURN',
      '-A FORWARD -j RETURN', '-A FORWARD -j Blocklist', '-A DOCKER-USER -j Blocklist',
      '-A Blocklist -s 10.0.0.0/8 -j RETURN', '-A Blocklist -p tcp -m tcp --dport 22 -j LOG', '-A Blocklist -m set --match-set stickyban4 src -j DROP', '-A Blocklist -j ACCEPT',
    ].join('\n');
    const plan = planRules(listing, wanted);
    assert.deepEqual(plan.repairs, []);
    assert.deepEqual(plan.shadowing, [
      { chain: 'Blocklist', rule: '-A Blocklist -s 10.0.0.0/8 -j RETURN', passes: 'what it matches' },
      { chain: 'INPUT', rule: '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', passes: 'what it matches' },
      { chain: 'INPUT', rule: '-A INPUT -j ACCEPT', passes: 'every packet' },
      { chain: 'FORWARD', rule: '-A FORWARD -j RETURN', passes: 'every packet' },
    ]);
    // A rule put back goes first: nothing is ahead of it.
    assert.deepEqual(planRules(listing.replace('-A INPUT -j Blocklist\n', ''), wanted).shadowing, [
      { chain: 'Blocklist', rule: '-A Blocklist -s 10.0.0.0/8 -j RETURN', passes: 'what it matches' },
      { chain: 'FORWARD', rule: '-A FORWARD -j RETURN', passes: 'every packet' },
    ]);
  });

  test("a comment matches every packet; a jump or goto to a chain of the admin's lets past what that chain accepts, followed through its own jumps", () => {
    const listing = (...rules: string[]) =>
      [
        '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-N Blocklist', '-N DOCKER-USER', '-N MINE', '-N SOME', '-N DEEP', '-N LOOP', '-N NONE',
        '-A MINE -m comment --comment "allow -j everything" -j ACCEPT', '-A SOME -s 10.0.0.0/8 -j ACCEPT', '-A SOME -j RETURN', '-A DEEP -p tcp -j LOG', '-A DEEP -j MINE',
        '-A LOOP -j LOOP', '-A LOOP -j NONE', '-A NONE -s 192.0.2.0/24 -j DROP', '-A NONE -i lo -j ACCEPT', '-A NONE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A NONE -j RETURN',
        ...rules,
        '-A INPUT -j Blocklist', '-A FORWARD -j Blocklist', '-A DOCKER-USER -j Blocklist', '-A Blocklist -m set --match-set stickyban4 src -j DROP',
      ].join('\n');
    const shadowing = (...rules: string[]) => planRules(listing(...rules), wanted).shadowing.map(({ rule, passes }) => [rule, passes]);
    assert.deepEqual(shadowing('-A INPUT -m comment --comment "let all in" -j ACCEPT'), [['-A INPUT -m comment --comment "let all in" -j ACCEPT', 'every packet']]);
    assert.deepEqual(shadowing('-A INPUT -j MINE'), [['-A INPUT -j MINE', 'every packet']]);
    assert.deepEqual(shadowing('-A INPUT -g DEEP'), [['-A INPUT -g DEEP', 'every packet']], 'through a chain that jumps on');
    assert.deepEqual(shadowing('-A INPUT -i eth0 -j MINE'), [['-A INPUT -i eth0 -j MINE', 'what it matches']]);
    assert.deepEqual(shadowing('-A INPUT -j SOME'), [['-A INPUT -j SOME', 'what it matches']]);
    assert.deepEqual(shadowing('-A INPUT -j LOOP', '-A INPUT -j NONE', '-A INPUT -j LOG --log-prefix "x -j ACCEPT"'), [], 'chains that accept nothing, a loop, a LOG');
    assert.deepEqual(shadowing('-A Blocklist -j MINE').slice(0, 1), [['-A Blocklist -j MINE', 'every packet']]);
    // In our chain the loopback's and established connections' accepts count too: they skip the drop.
    assert.deepEqual(shadowing('-A Blocklist -j NONE').slice(0, 1), [['-A Blocklist -j NONE', 'what it matches']]);
    // In order: what a chain drops before its ACCEPT never reaches it, nor anything after a drop of everything.
    assert.deepEqual(shadowing('-N DROPALL', '-A DROPALL -j DROP', '-A DROPALL -j ACCEPT', '-A INPUT -j DROPALL'), []);
    assert.deepEqual(shadowing('-A INPUT -j DROP', '-A INPUT -j ACCEPT'), [], 'nothing reaches the ACCEPT, nor our jump');
    // A goto from INPUT to a chain a packet can come out of the end of: it meets INPUT's policy, never our jump.
    assert.deepEqual(shadowing('-A INPUT -g NONE'), [['-A INPUT -g NONE', 'every packet']]);
    assert.deepEqual(shadowing('-A INPUT -s 10.0.0.0/8 -g NONE'), [['-A INPUT -s 10.0.0.0/8 -g NONE', 'what it matches']]);
    assert.deepEqual(shadowing('-A INPUT -g DROPALL', '-N DROPALL', '-A DROPALL -j DROP'), [], 'a chain that drops everything lets nothing reach the policy');
    assert.deepEqual(planRules(listing('-A INPUT -g NONE').replace('-P INPUT ACCEPT', '-P INPUT DROP'), wanted).shadowing, [], 'a policy of DROP');
    // A chain listRules left unread (past its budget): what it lets past is not known, not nothing.
    assert.deepEqual(shadowing('-A INPUT -s 10.0.0.0/8 -j FAR', '# unread FAR'), [['-A INPUT -s 10.0.0.0/8 -j FAR', 'not known']]);
    assert.deepEqual(shadowing('-N NEAR', '-A NEAR -j FAR', '-A INPUT -j NEAR', '# unread FAR'), [['-A INPUT -j NEAR', 'not known']], 'through a chain read');
    assert.deepEqual(shadowing('-A INPUT -j FAR'), [], 'a target that is no chain listed: an extension, lets nothing past');
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
