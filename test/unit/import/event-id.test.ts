import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import { compareNetworks, importEventId } from '../../../src/import/event-id.js';
import { uuidFromKey } from '../../../src/store/ids.js';

describe('importEventId', () => {
  test("is uuidFromKey's id behind an address prefix: same key, same id; the UUIDv8 bits are kept", () => {
    const key = 'import:plain\nimport\n192.0.2.7\n';
    const id = importEventId(key, parseNetwork('192.0.2.7'));
    assert.deepEqual(id.subarray(6), uuidFromKey(key).subarray(6));
    assert.deepEqual(importEventId(key, parseNetwork('192.0.2.7')), id);
    assert.equal(id[6]! >> 4, 8);
    assert.equal(id[8]! >> 6, 2);
    assert.equal(id.length, 16);
    assert.notDeepEqual(importEventId(`${key}x`, parseNetwork('192.0.2.7')), id, 'another event of the address');
  });

  test('ids sort like the addresses (the order of the store indexes), IPv4 before IPv6', () => {
    const texts = ['2001:db8::1', '10.0.0.0/8', '192.0.2.7', '192.0.2.8', '2a01:4f8::1', '198.51.100.0/24', '1.2.3.4'];
    const networks = texts.map((text) => parseNetwork(text));
    const byId = [...networks].sort((a, b) => Buffer.compare(importEventId(`k${a.first}`, a), importEventId(`k${b.first}`, b)));
    assert.deepEqual(byId, [...networks].sort(compareNetworks));
    assert.deepEqual(byId.map((network) => network.family), [4, 4, 4, 4, 4, 6, 6]);
  });
});
