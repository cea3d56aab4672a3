import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { V4, type Cidr, type Range } from '../../../../src/address/network.js';
import { parseIPv4, parseNetwork } from '../../../../src/address/parse.js';
import { formatElement } from '../../../../src/firewall/nftables/script.js';
import { reconcileBlocks } from '../../../../src/firewall/nftables/reconcile.js';

/** "10.0.0.0/8" or "10.0.0.3-10.0.0.9" as a range. */
function range(text: string): Range<number> {
  if (!text.includes('-')) return parseNetwork(text) as Range<number>;
  const [first, last] = text.split('-').map((end) => parseIPv4(end) as number);
  return { first: first!, last: last! };
}

function reconcile(live: string[], del: string[], add: string[]): { del: string[]; add: string[] } {
  const result = reconcileBlocks(V4, live.map(range), del.map(range), add.map(range));
  return { del: result.del.map((r) => formatElement(4, r)), add: result.add.map((r) => formatElement(4, r)) };
}

describe('reconcileBlocks', () => {
  test('a delta that matches the live set passes through unchanged', () => {
    assert.deepEqual(reconcile(['10.0.0.0/24', '10.1.0.0/16'], ['10.0.0.0/24'], ['10.0.0.0/25', '10.0.0.128/26']), {
      del: ['10.0.0.0/24'],
      add: ['10.0.0.0/25', '10.0.0.128/26'],
    });
  });

  test('deleting a block that is gone does nothing', () => {
    assert.deepEqual(reconcile(['10.1.0.0/16'], ['10.0.0.0/24'], []), { del: [], add: [] });
  });

  test('deleting a block out of a larger live element keeps the pieces around it', () => {
    assert.deepEqual(reconcile(['10.0.0.0/23'], ['10.0.1.0/25'], []), { del: ['10.0.0.0/23'], add: ['10.0.0.0/24', '10.0.1.128/25'] });
  });

  test('adding a block a live element contains does nothing; adding over smaller ones replaces them by the union', () => {
    assert.deepEqual(reconcile(['11.0.0.0/8'], [], ['11.2.0.0/16']), { del: [], add: [] });
    assert.deepEqual(reconcile(['10.0.0.0/25', '10.0.0.200-10.0.1.9', '10.9.0.0/16'], [], ['10.0.0.0/24']), {
      del: ['10.0.0.0/25', '10.0.0.200-10.0.1.9'],
      add: ['10.0.0.0/24', '10.0.1.0/29', '10.0.1.8/31'],
    });
  });

  test('a safelist split after the live block was swapped behind our back still ends as the delta means', () => {
    // The store had 10.20.0.0/16; someone replaced it by its lower half. Safelisting 10.20.5.5 deletes the
    // /16 and adds its pieces: the lower half goes and every piece comes in.
    const pieces: Cidr<number>[] = [];
    V4.cover(range('10.20.0.0/16').first, range('10.20.5.4').first, pieces);
    V4.cover(range('10.20.5.6').first, range('10.20.255.255').first, pieces);
    const result = reconcileBlocks(V4, [range('10.20.0.0/17')], [range('10.20.0.0/16')], pieces);
    assert.deepEqual(result.del, [range('10.20.0.0/17')]);
    assert.deepEqual(result.add.map((r) => formatElement(4, r)), pieces.map((r) => formatElement(4, r)));
  });

  test('the live list may come in any order', () => {
    assert.deepEqual(reconcile(['10.9.0.0/16', '10.0.0.0/24'], ['10.0.0.0/24'], []), { del: ['10.0.0.0/24'], add: [] });
  });
});
