import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIPv4 } from '../../../../src/address/format.js';
import type { Cidr } from '../../../../src/address/network.js';
import { parseNetwork } from '../../../../src/address/parse.js';
import { addLines, setScript } from '../../../../src/firewall/ipset/script.js';
import { entriesSource, type FamilyPlanSource, type PlanSink } from '../../../../src/plan/stream.js';

const LINES_PER_CHUNK = 2048;

/** A source that plans `pages` of entries as they are, one page per step, and `last` only at its end. */
function source<K extends number | bigint>(pages: Cidr<K>[][], last?: Cidr<K>): FamilyPlanSource<K> {
  return {
    *pages(sink: PlanSink<K>) {
      for (const page of pages) {
        for (const entry of page) sink.entry(entry);
        yield;
      }
      if (last) sink.entry(last);
    },
  };
}

const hosts4 = (from: number, count: number) => Array.from({ length: count }, (_, i) => parseNetwork(formatIPv4(0x0a000000 + from + i)) as Cidr<number>);

describe('addLines', () => {
  test('streams the lines of every page in full chunks, the rest and the last entry at the end', () => {
    // 2 × 2048 + 5 entries over three pages of uneven size, one more planned only at the end.
    const pages = [hosts4(0, 3000), hosts4(3000, 1000), hosts4(4000, 100)];
    const last = parseNetwork('192.0.2.0/24') as Cidr<number>;
    const chunks = [...addLines(4, 'set4', source(pages, last))];
    const all = [...pages.flat(), last];
    assert.equal(all.length, 2 * LINES_PER_CHUNK + 5);
    for (const chunk of chunks) {
      const lines = chunk.split('\n').length - 1;
      assert.ok(lines > 0 && lines <= LINES_PER_CHUNK, `a chunk of ${lines} lines`);
    }
    assert.deepEqual(chunks.slice(0, 2).map((chunk) => chunk.split('\n').length - 1), [LINES_PER_CHUNK, LINES_PER_CHUNK]);
    // The same text as the export's script of the same entries, less its create line.
    const script = [...setScript(4, 'set4', entriesSource(all))].join('');
    assert.equal(chunks.join(''), script.slice(script.indexOf('\n') + 1));
    assert.ok(chunks.join('').endsWith('add set4 10.0.16.3\nadd set4 192.0.2.0/24\n'));
  });

  test('writes IPv6 entries, and a /0 as its two halves', () => {
    const entries = ['2001:db8::7', '2001:db8:1::/48'].map((text) => parseNetwork(text) as Cidr<bigint>);
    const everything = parseNetwork('::/0') as Cidr<bigint>;
    assert.equal([...addLines(6, 'set6', source([entries], everything))].join(''), 'add set6 2001:db8::7\nadd set6 2001:db8:1::/48\nadd set6 ::/1\nadd set6 8000::/1\n');
  });

  test('writes nothing for an empty plan', () => {
    assert.deepEqual([...addLines(4, 'set4', source<number>([[]]))], []);
  });
});
