import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import { compareNetworks } from '../../../src/address/network.js';
import { importEventId } from '../../../src/import/event-id.js';

describe('importEventId', () => {
  test('same event, same id; another key or another block, another id; the UUIDv8 bits are set', () => {
    const key = 'import:plain\nimport\n';
    const id = importEventId(parseNetwork('192.0.2.7'), key);
    assert.deepEqual(importEventId(parseNetwork('192.0.2.7'), key), id);
    assert.equal(id[6]! >> 4, 8);
    assert.equal(id[8]! >> 6, 2);
    assert.equal(id.length, 16);
    assert.notDeepEqual(importEventId(parseNetwork('192.0.2.7'), `${key}x`), id, 'another event of the address');
    assert.notDeepEqual(importEventId(parseNetwork('192.0.2.8'), key), id, 'another address');
    assert.notDeepEqual(importEventId(parseNetwork('192.0.2.6/31'), key), importEventId(parseNetwork('192.0.2.6'), key), 'another prefix');
    const v6 = importEventId(parseNetwork('2001:db8::1'), key);
    assert.notDeepEqual(importEventId(parseNetwork('2001:db8::2'), key), v6, 'IPv6 blocks that share their first 40 bits');
    assert.deepEqual(importEventId(parseNetwork('2001:db8::1'), key), v6);
  });

  test('the ids of a given version stay the same: a re-import after an upgrade must still add nothing', () => {
    const key = 'import:plain\nimport\n';
    const hex = (text: string) => importEventId(parseNetwork(text), key).toString('hex');
    assert.equal(hex('192.0.2.7'), '04c000020720816e854bdbe98ef1f56a');
    assert.equal(hex('198.51.100.0/24'), '04c633640018816e854bdbe98ef1f56a');
    assert.equal(hex('2001:db8::1'), '0620010db80084c59a504caf4714d15e');
  });

  test('ids sort like the addresses (the order of the store indexes), IPv4 before IPv6', () => {
    const texts = ['2001:db8::1', '10.0.0.0/8', '192.0.2.7', '192.0.2.8', '2a01:4f8::1', '198.51.100.0/24', '1.2.3.4'];
    const networks = texts.map((text) => parseNetwork(text));
    const byId = [...networks].sort((a, b) => Buffer.compare(importEventId(a, `k${a.first}`), importEventId(b, `k${b.first}`)));
    assert.deepEqual(byId, [...networks].sort(compareNetworks));
    assert.deepEqual(byId.map((network) => network.family), [4, 4, 4, 4, 4, 6, 6]);
  });
});
