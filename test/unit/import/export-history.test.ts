import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { familyHistories, jsonLines } from '../../../src/export/history.js';
import type { BlockSummary } from '../../../src/store/bans.js';

const cidr = (text: string): Cidr<number> => parseNetwork(text) as Cidr<number>;

function block(text: string, events: number, offences: number, jails: string, first: number, last: number): BlockSummary {
  return { network: parseNetwork(text), address: text, events, offences, jails, first_banned: first, last_banned: last, qualifies: 1 };
}

describe('export history', () => {
  test('each entry sums the blocks that meet it: a split block gives its history to every piece', () => {
    const entries = ['10.0.0.0/25', '10.0.0.128/26', '192.0.2.7'].map(cidr);
    const blocks = [
      block('10.0.0.0/24', 1, 1, 'manual', 100, 100),
      block('10.0.0.9', 3, 2, 'sshd,recidive', 50, 300),
      block('10.0.0.200', 1, 1, 'sshd', 400, 400), // inside the /24, in a part the safelist removed: meets no entry
      block('192.0.2.7', 2, 1, 'nginx-http-auth', 10, 20),
    ];
    const rows = familyHistories(4, entries, blocks);
    assert.deepEqual(rows.map((row) => [row.address, row.events, row.bans, row.jails, row.first_banned, row.last_banned]), [
      ['10.0.0.0/25', 4, 3, ['manual', 'recidive', 'sshd'], '1970-01-01T00:00:50Z', '1970-01-01T00:05:00Z'],
      ['10.0.0.128/26', 1, 1, ['manual'], '1970-01-01T00:01:40Z', '1970-01-01T00:01:40Z'],
      ['192.0.2.7', 2, 1, ['nginx-http-auth'], '1970-01-01T00:00:10Z', '1970-01-01T00:00:20Z'],
    ]);
  });

  test('the JSON is an array with one entry per line', () => {
    assert.equal([...jsonLines([])].join(''), '[]\n');
    const rows = familyHistories(4, [cidr('192.0.2.7'), cidr('192.0.2.8')], [block('192.0.2.7', 1, 1, 'a', 0, 0), block('192.0.2.8', 1, 1, 'b', 0, 0)]);
    const text = [...jsonLines(rows)].join('');
    assert.deepEqual(JSON.parse(text), rows);
    assert.equal(text.split('\n').length, 5);
  });
});
