import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { UsageError } from '../../../src/errors.js';
import { IptablesSaveParser, parseChain, parseRule, splitWords } from '../../../src/import/iptables-save.js';
import { isIgnored, isRejected, type Candidate } from '../../../src/import/outcome.js';
import { expected, fixtureLines, sorted } from './fixtures.js';

describe('iptables-save', () => {
  test("a real Blocklist chain: its -s … -j DROP rules, nothing of INPUT, not the closing RETURN", () => {
    const rules = expected('iptables/expected.json');
    const parser = new IptablesSaveParser('Blocklist');
    const found: string[] = [];
    for (const line of fixtureLines('iptables/legacy-blocklist.rules')) {
      const outcome = parser.parse(line);
      assert.ok(!isRejected(outcome) && !isIgnored(outcome), line);
      if (outcome !== undefined) found.push(formatNetwork((outcome as Candidate).network));
    }
    parser.finish('legacy-blocklist.rules');
    assert.equal(found.length, rules.blocklist_drop_rules);
    assert.equal(found.length - new Set(found).size, rules.duplicate_drop_rules);
    assert.deepEqual(sorted(new Set(found)), sorted(rules.valid_distinct.ips));
    for (const rule of rules.admin_rules_outside_blocklist as string[]) assert.equal(parser.parse(rule), undefined, rule);
  });

  test('REJECT, a comment and IPv6 are a ban; other matches, other targets and negation are not', () => {
    const ban = (line: string) => formatNetwork((parseRule(line) as Candidate).network);
    assert.equal(ban('-A Blocklist -s 203.0.113.130/32 -j DROP'), '203.0.113.130');
    assert.equal(ban('-A Blocklist -s 198.51.100.0/24 -j REJECT --reject-with icmp-port-unreachable'), '198.51.100.0/24');
    assert.equal(ban('-A Blocklist -s 2001:db8::7/128 -j DROP'), '2001:db8::7');
    const commented = parseRule('-A Blocklist -s 192.0.2.7/32 -m comment --comment "wp \\"flood\\"" -j DROP') as Candidate;
    assert.equal(commented.reason, 'wp "flood"');
    assert.match((parseRule('-A Blocklist -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP') as { ignored: string }).ignored, /also matches -p tcp -m tcp --dport 25/);
    assert.match((parseRule('-A Blocklist -s 192.0.2.7/32 -j ACCEPT') as { ignored: string }).ignored, /-j ACCEPT is not DROP or REJECT/);
    assert.match((parseRule('-A Blocklist ! -s 192.0.2.7/32 -j DROP') as { ignored: string }).ignored, /negated/);
    assert.match((parseRule('-A Blocklist -j DROP') as { ignored: string }).ignored, /no -s/);
    assert.equal(parseRule('-A Blocklist -j RETURN'), undefined);
  });

  test('iptables-save -c: the counters in front of a rule are skipped', () => {
    const parser = new IptablesSaveParser('Blocklist');
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':Blocklist - [0:0]', '[12:720] -A Blocklist -s 198.51.100.1/32 -j DROP', '[0:0] -A INPUT -j Blocklist', 'COMMIT'];
    const found = lines.map((line) => parser.parse(line)).filter((outcome) => outcome !== undefined);
    assert.deepEqual(found.map((outcome) => formatNetwork((outcome as Candidate).network)), ['198.51.100.1']);
    parser.finish('counters.rules');
  });

  test('only the filter table holds the blocklist: the same chain name in raw or mangle is listed, not imported', () => {
    const parser = new IptablesSaveParser('Blocklist');
    const outcomes = ['*raw', ':Blocklist - [0:0]', '-A Blocklist -s 192.0.2.1/32 -j DROP', 'COMMIT', '*filter', ':Blocklist - [0:0]', '-A Blocklist -s 192.0.2.2/32 -j DROP', 'COMMIT'].map((line) => parser.parse(line));
    assert.match((outcomes[2] as { ignored: string }).ignored, /it is in the "raw" table/);
    assert.equal(formatNetwork((outcomes[6] as Candidate).network), '192.0.2.2');
    const rawOnly = new IptablesSaveParser('Blocklist');
    for (const line of ['*raw', ':Blocklist - [0:0]', '-A Blocklist -s 192.0.2.1/32 -j DROP', 'COMMIT']) rawOnly.parse(line);
    assert.throws(() => rawOnly.finish('raw.rules'), /raw\.rules has no filter table, where a blocklist chain is \(its tables: "raw"\)/);
  });

  test("a file of many declarations is named by its first few, quoted: the error stays a line, the memory a few names", () => {
    const tables = new IptablesSaveParser('Blocklist');
    for (let i = 0; i < 100_000; i++) tables.parse(`*${'T'.repeat(4000)}${i}`);
    tables.parse('*nat\u001b]0;pwned\u0007');
    assert.throws(() => tables.finish('t.rules'), (error: Error) => error.message.length < 600 && /\(its tables: "T{40}…", .*, …\)$/.test(error.message) && !/\u001b/.test(error.message));
    const chains = new IptablesSaveParser('Blocklist');
    chains.parse('*filter');
    chains.parse(':Evil\u001b[31mRED - [0:0]');
    for (let i = 0; i < 100_000; i++) chains.parse(`:C${i} - [0:0]`);
    assert.throws(() => chains.finish('c.rules'), (error: Error) => error.message.length < 300 && /its chains are "Evil\\u001b\[31mRED", "C0", .*, …/.test(error.message));
  });

  test('a bad source is invalid, with the reason', () => {
    assert.match((parseRule('-A Blocklist -s 999.1.1.1/32 -j DROP') as { error: string }).error, /invalid source "999\.1\.1\.1\/32": octet 999/);
    assert.match((parseRule('-A Blocklist -s 192.0.2.7/24 -j DROP') as { error: string }).error, /host bits are set/);
  });

  test('a file without the chain is a usage error naming the chains it has', () => {
    const parser = new IptablesSaveParser('Shitlist');
    for (const line of fixtureLines('iptables/legacy-blocklist.rules')) parser.parse(line);
    assert.throws(() => parser.finish('rules'), (error: Error) => error instanceof UsageError && /no chain "Shitlist"; its chains are "INPUT", "FORWARD", "OUTPUT", "Blocklist"/.test(error.message));
    const text = new IptablesSaveParser('Blocklist');
    text.parse('192.0.2.7');
    text.parse('::ffff:198.51.100.22'); // starts with ':' like a chain declaration
    assert.throws(() => text.finish('list.txt'), /list\.txt is not iptables-save output/);
  });

  test('splitWords keeps quoted words whole; parseChain checks the name', () => {
    assert.deepEqual(splitWords('-A X -m comment --comment "a b" -j DROP'), ['-A', 'X', '-m', 'comment', '--comment', 'a b', '-j', 'DROP']);
    assert.equal(splitWords('-A X --comment "open'), undefined);
    assert.equal(parseChain('Blocklist'), 'Blocklist');
    assert.throws(() => parseChain('a b'), UsageError);
    assert.throws(() => parseChain('x'.repeat(29)), UsageError);
  });
});
