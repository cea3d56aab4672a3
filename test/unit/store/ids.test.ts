import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uuidFromText, uuidText, uuidv7 } from '../../../src/store/ids.js';

describe('uuidv7', () => {
  test('the time first, then the version and variant bits, then random bits that differ from id to id', () => {
    const now = Date.UTC(2026, 10, 21, 9, 0, 0);
    const ids = Array.from({ length: 2000 }, () => uuidv7(now));
    for (const id of ids) {
      assert.equal(id.length, 16);
      assert.equal(id.readUIntBE(0, 6), now);
      assert.equal(id[6]! >> 4, 7);
      assert.equal(id[8]! >> 6, 2);
    }
    // Past the pool of 256: every refill draws new bits.
    assert.equal(new Set(ids.map((id) => id.toString('hex'))).size, ids.length);
    const ones = ids.reduce((sum, id) => sum + [...id.subarray(9)].reduce((bits, byte) => bits + byte.toString(2).replaceAll('0', '').length, 0), 0);
    const share = ones / (ids.length * 7 * 8);
    assert.ok(share > 0.48 && share < 0.52, `random bytes are about half ones (${share})`);
    assert.deepEqual(uuidFromText(uuidText(ids[0]!)), ids[0]);
  });
});
