import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import type { Network4, Network6 } from '../../../src/address/network.js';
import { PackedKeys4 } from '../../../src/plan/compare.js';
import { LiveIndex4, LiveIndex6 } from '../../../src/plan/live-index.js';
import type { Coverage } from '../../../src/plan/safelist-index.js';

const v4 = (text: string) => parseNetwork(text) as Network4;
const v6 = (text: string) => parseNetwork(text) as Network6;

/** The plain way: every address of the block looked up in every entry (small blocks only). */
function plainCoverage(entries: readonly Network4[], block: Network4): Coverage {
  let held = 0;
  for (let address = block.first; address <= block.last; address++) if (entries.some((entry) => entry.first <= address && address <= entry.last)) held++;
  return held === 0 ? 'none' : held === block.last - block.first + 1 ? 'full' : 'partial';
}

test('LiveIndex4: nested, adjacent and apart entries, from packed keys and from ranges, agree with looking up every address', () => {
  const entries = ['10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24', '10.0.1.7', '10.0.3.0/30', '10.0.3.8', '192.0.2.1'].map(v4);
  const keys = new PackedKeys4();
  for (const entry of entries) keys.entry(entry);
  const packed = LiveIndex4.fromPacked(keys.sorted());
  const ranged = LiveIndex4.fromRanges(entries);
  assert.equal(packed.entries, 7);
  assert.equal(ranged.entries, 7);
  const blocks = ['10.0.0.0/23', '10.0.0.0/22', '10.0.1.7', '10.0.2.0/24', '10.0.3.0/29', '10.0.3.0/30', '10.0.3.8', '10.0.3.9', '192.0.2.0/31', '192.0.2.1', '9.255.255.255', '0.0.0.0/28'].map(v4);
  for (const block of blocks) {
    assert.equal(packed.coverage(block), plainCoverage(entries, block), `packed ${block.first}/${block.prefix}`);
    assert.equal(ranged.coverage(block), plainCoverage(entries, block), `ranged ${block.first}/${block.prefix}`);
  }
  assert.equal(packed.coverage(v4('10.0.0.0/23')), 'full', 'adjacent halves cover the whole');
  assert.equal(LiveIndex4.fromRanges([]).coverage(v4('10.0.0.1')), 'none');
});

test('LiveIndex6: coverage of blocks and addresses', () => {
  const index = new LiveIndex6(['2001:db8::/48', '2001:db8:1::7'].map(v6));
  assert.equal(index.entries, 2);
  assert.equal(index.coverage(v6('2001:db8::5')), 'full');
  assert.equal(index.coverage(v6('2001:db8::/32')), 'partial');
  assert.equal(index.coverage(v6('2001:db8:1::7')), 'full');
  assert.equal(index.coverage(v6('2001:db8:1::8')), 'none');
});
