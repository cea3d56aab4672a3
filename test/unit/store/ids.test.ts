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

test('uuidFromText reads the text form and refuses anything else, as the plain regular expression did', () => {
  const plain = (text: string) => {
    const hex = text.replace(/-/g, '');
    return /^[0-9a-f]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
  };
  const id = uuidText(uuidv7());
  for (const text of [id, id.replace(/-/g, ''), id.toUpperCase(), `${id}0`, id.slice(0, -1), `x${id.slice(1)}`, id.replace(/-/g, '--'), '', 'not a uuid', `${id.slice(0, 35)}g`, '0190a6b2-5f3c-7d6e-8a9b-0c1d2e3f4a5b', '0190A6B2-5f3c-7d6e-8a9b-0c1d2e3f4a5b', '0190a6b2-5f3c-7d6e-8a9b0-c1d2e3f4a5b']) {
    assert.deepEqual(uuidFromText(text), plain(text), text);
  }
});
