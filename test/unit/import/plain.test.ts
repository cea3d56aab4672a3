import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { isIgnored, isRejected, type Candidate, type LineOutcome } from '../../../src/import/outcome.js';
import { parsePlainLine } from '../../../src/import/plain.js';
import { expected, fixtureLines, sorted } from './fixtures.js';

const address = (outcome: LineOutcome): string => formatNetwork((outcome as Candidate).network);

describe('parsePlainLine', () => {
  test('reads the addresses of a real /etc/shitlist, canonical', () => {
    const lines = fixtureLines('lists/shitlist.txt');
    assert.equal(address(parsePlainLine(lines[2]!)), '93.142.216.233');
    assert.equal(address(parsePlainLine('2001:db8:9f0b:3129::14')), '2001:db8:9f0b:3129::14');
    assert.equal(address(parsePlainLine('2001:DB8:9F0B:3129:0:0:0:14')), '2001:db8:9f0b:3129::14');
    assert.equal(address(parsePlainLine('::ffff:192.0.2.7')), '192.0.2.7', 'IPv4-mapped folds to IPv4, as in the hook');
    assert.equal(address(parsePlainLine('198.51.100.0/24')), '198.51.100.0/24');
    assert.equal(address(parsePlainLine('192.0.2.7/32')), '192.0.2.7');
  });

  test('skips comments and blank lines, ignores surrounding blanks (the fixture has trailing blanks and a tab)', () => {
    const lines = fixtureLines('lists/shitlist.txt');
    assert.equal(parsePlainLine(lines[0]!), undefined, lines[0]);
    assert.equal(parsePlainLine(''), undefined);
    assert.equal(parsePlainLine(' \t '), undefined);
    const list = expected('lists/expected.json');
    for (const number of list.lines_with_trailing_whitespace as number[]) {
      const line = lines[number - 1]!;
      assert.notEqual(line, line.trim(), `line ${number} has surrounding blanks`);
      assert.equal(address(parsePlainLine(line)), line.trim());
    }
    assert.equal(address(parsePlainLine('192.0.2.7\r')), '192.0.2.7');
  });

  test("rejects the fixture's malformed lines with a reason", () => {
    const lines = fixtureLines('lists/shitlist.txt');
    for (const { line, text } of expected('lists/expected.json').malformed as Array<{ line: number; text: string }>) {
      assert.equal(lines[line - 1]!.trim(), text);
      const outcome = parsePlainLine(lines[line - 1]!);
      assert.ok(isRejected(outcome), `line ${line} ${text}`);
    }
    assert.match((parsePlainLine('999.1.1.1') as { error: string }).error, /octet 999 is out of range/);
    assert.match((parsePlainLine('10.0.0.1; rm -rf /') as { error: string }).error, /whitespace/);
  });

  test('refuses what the hook refuses: leading zeros, host bits, host names', () => {
    assert.match((parsePlainLine('010.0.0.1') as { error: string }).error, /leading zero/);
    assert.match((parsePlainLine('198.51.100.7/24') as { error: string }).error, /host bits are set; the network is 198\.51\.100\.0\/24/);
    assert.match((parsePlainLine('example.com') as { error: string }).error, /not an IP address/);
  });

  test('a comment after the address is its reason; a # inside a word is not a comment', () => {
    const outcome = parsePlainLine('192.0.2.7   # wp-login flood, 2026-10-02') as Candidate;
    assert.equal(formatNetwork(outcome.network), '192.0.2.7');
    assert.equal(outcome.reason, 'wp-login flood, 2026-10-02');
    assert.ok(isRejected(parsePlainLine('192.0.2.7#x')));
    assert.ok(!isIgnored(parsePlainLine('192.0.2.7')));
  });

  test('the whole fixture gives exactly the distinct valid addresses of lists/expected.json', () => {
    const list = expected('lists/expected.json');
    const lines = fixtureLines('lists/shitlist.txt');
    assert.equal(lines.length, list.lines);
    const valid: string[] = [];
    const malformed: number[] = [];
    lines.forEach((line, i) => {
      const outcome = parsePlainLine(line);
      if (isRejected(outcome)) malformed.push(i + 1);
      else if (outcome !== undefined) valid.push(address(outcome));
    });
    assert.equal(valid.length, list.valid_lines);
    assert.deepEqual(sorted(new Set(valid)), sorted(list.valid_distinct.ips));
    assert.deepEqual(malformed, list.malformed.map((entry: { line: number }) => entry.line));
  });
});
