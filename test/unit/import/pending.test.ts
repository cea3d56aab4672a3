import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { compareNetworks } from '../../../src/address/network.js';
import { sortBlocks, type Blocks } from '../../../src/import/order.js';
import { importEventId } from '../../../src/import/event-id.js';
import { PendingEvents, type PendingEvent } from '../../../src/import/pending.js';

/** A deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1664525 + 1013904223) >>> 0);
}

function pendingEvent(address: string, n: number, overrides: Partial<PendingEvent> = {}): PendingEvent {
  return { key: `key ${n}`, network: parseNetwork(address), jail: 'sshd', bannedAt: 1_700_000_000 + n, bantime: 600, reason: null, restored: false, ...overrides };
}

/** The columns of `count` blocks, each with its index as payload. */
function blocksOf(words: Uint32Array, prefix: Uint8Array): Blocks {
  return { words, prefix, payload: Uint32Array.from({ length: prefix.length }, (_, i) => i) };
}

describe('sortBlocks', () => {
  test('IPv4: orders by first address, then prefix, keeps input order among equal blocks, and moves each block whole (20k random blocks)', () => {
    const next = lcg(7);
    const count = 20_000;
    const first = new Uint32Array(count);
    const prefix = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      // Few distinct values, so equal blocks are common; both 16-bit halves and the prefix vary.
      prefix[i] = 8 + (next() % 25);
      first[i] = ((next() % 300) * 0x01010101) >>> 0;
    }
    const expected = Array.from({ length: count }, (_, i) => i).sort((a, b) => first[a]! - first[b]! || prefix[a]! - prefix[b]! || a - b);
    const sorted = sortBlocks(blocksOf(first, prefix), count, 1);
    assert.deepEqual([...sorted.payload], expected);
    assert.deepEqual([...sorted.words], expected.map((i) => first[i]));
    assert.deepEqual([...sorted.prefix], expected.map((i) => prefix[i]));
  });

  test('IPv6: four words per key, most significant first (20k random blocks)', () => {
    const next = lcg(9);
    const count = 20_000;
    const words = new Uint32Array(count * 4);
    const prefix = new Uint8Array(count);
    const keys: bigint[] = [];
    for (let i = 0; i < count; i++) {
      prefix[i] = 32 + (next() % 97);
      // Each word drawn from a few values, so keys that differ only in a low word are common.
      for (let w = 0; w < 4; w++) words[i * 4 + w] = ((next() % 5) * 0x40004001) >>> 0;
      keys.push([0, 1, 2, 3].reduce((key, w) => (key << 32n) | BigInt(words[i * 4 + w]!), 0n));
    }
    const expected = Array.from({ length: count }, (_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : prefix[a]! - prefix[b]! || a - b));
    const sorted = sortBlocks(blocksOf(words, prefix), count, 4);
    assert.deepEqual([...sorted.payload], expected);
    assert.deepEqual([...sorted.words], expected.flatMap((i) => [...words.subarray(i * 4, i * 4 + 4)]));
  });

  test('sorts only the first `count` blocks, and leaves the input columns as they were', () => {
    const words = Uint32Array.from([50, 10, 40, 20, 30]);
    const prefix = Uint8Array.from([32, 32, 32, 32, 32]);
    const blocks = blocksOf(words, prefix);
    assert.deepEqual([...sortBlocks(blocks, 3, 1).payload], [1, 2, 0]);
    assert.deepEqual([...words], [50, 10, 40, 20, 30]);
    assert.deepEqual([...sortBlocks(blocks, 0, 1).payload], []);
  });
});

describe('PendingEvents', () => {
  test('drains IPv4 then IPv6, each in block order, in batches of the size asked, fields intact', () => {
    const pending = new PendingEvents('host-a', 'import:plain');
    const inputs = [
      pendingEvent('2001:db8::2', 1, { jail: 'recidive', bantime: null }),
      pendingEvent('198.51.100.0/24', 2, { reason: 'a /24', restored: true }),
      pendingEvent('192.0.2.7', 3, { bantime: -1 }),
      pendingEvent('2001:db8::/64', 4),
      pendingEvent('10.0.0.0/8', 5, { jail: 'recidive' }),
    ];
    for (const input of inputs) pending.push(input);
    assert.equal(pending.length, 5);
    const batches = [...pending.drain(2)];
    assert.deepEqual(
      batches.map((batch) => batch.map((event) => formatNetwork(event.network))),
      [['10.0.0.0/8', '192.0.2.7'], ['198.51.100.0/24', '2001:db8::/64'], ['2001:db8::2']],
    );
    const byAddress = new Map(batches.flat().map((event) => [formatNetwork(event.network), event]));
    for (const input of inputs) {
      const event = byAddress.get(formatNetwork(input.network))!;
      const { key, ...fields } = input;
      assert.deepEqual(event, { ...fields, uuid: importEventId(input.network, key), origin: 'host-a', source: 'import:plain' }, formatNetwork(input.network));
      assert.ok(Buffer.isBuffer(event.uuid));
    }
    assert.equal(pending.length, 0, 'empty after a drain');
  });

  test('equal blocks stay in input order, so the first of two events with one id is the one written', () => {
    const pending = new PendingEvents('h', 's');
    const order = ['192.0.2.9', '2001:db8::1', '192.0.2.1', '2001:db8::1', '192.0.2.9', '192.0.2.1'];
    order.forEach((address, n) => pending.push(pendingEvent(address, n)));
    const drained = [...pending.drain(100)].flat();
    assert.deepEqual(
      drained.map((event) => [formatNetwork(event.network), event.bannedAt - 1_700_000_000]),
      [['192.0.2.1', 2], ['192.0.2.1', 5], ['192.0.2.9', 0], ['192.0.2.9', 4], ['2001:db8::1', 1], ['2001:db8::1', 3]],
    );
  });

  test('grows past its first capacity and is reusable after a drain (10k random events, twice)', () => {
    const pending = new PendingEvents('h', 's');
    const next = lcg(11);
    for (let round = 0; round < 2; round++) {
      const addresses = Array.from({ length: 10_000 }, (_, n) => {
        const value = next();
        if (n % 10 !== 0) return `${((value >>> 24) % 223) + 1}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.0/24`;
        // Addresses that differ in each of the four 32-bit words of an IPv6 key.
        const words = [['2001', '2a01', '2600'][value % 3], (value >>> 16).toString(16), (next() & 3).toString(16), '0', (next() & 3).toString(16), '0', '0', (next() & 7).toString(16)];
        return words.join(':');
      });
      addresses.forEach((address, n) => pending.push(pendingEvent(address, n)));
      const drained = [...pending.drain(3000)].flat();
      assert.equal(drained.length, addresses.length);
      const expected = addresses.map((address, n) => ({ network: parseNetwork(address), n })).sort((a, b) => compareNetworks(a.network, b.network) || a.n - b.n);
      assert.deepEqual(
        drained.map((event) => [formatNetwork(event.network), event.bannedAt]),
        expected.map(({ network, n }) => [formatNetwork(network), 1_700_000_000 + n]),
      );
      assert.deepEqual(
        drained.map((event) => event.uuid.toString('hex')),
        expected.map(({ network, n }) => importEventId(network, `key ${n}`).toString('hex')),
        'each event keeps its own id',
      );
    }
  });

  test('a writer that stops after a batch leaves an empty window: nothing is written twice', () => {
    const pending = new PendingEvents('h', 's');
    ['192.0.2.1', '192.0.2.2', '192.0.2.3'].forEach((address, n) => pending.push(pendingEvent(address, n)));
    for (const batch of pending.drain(2)) {
      assert.equal(batch.length, 2);
      break;
    }
    assert.equal(pending.length, 0);
    pending.push(pendingEvent('198.51.100.1', 9));
    assert.deepEqual(
      [...pending.drain(10)].flat().map((event) => formatNetwork(event.network)),
      ['198.51.100.1'],
    );
  });

  test('a column whose values were all the same until one differs gives each event its own value, window after window', () => {
    const pending = new PendingEvents('h', 's');
    const windows = [
      // All alike, then one differs at the end; then the first differs from the rest.
      ['sshd', 'sshd', 'sshd', 'recidive'],
      ['nginx', 'sshd', 'sshd', 'sshd'],
      ['postfix', 'postfix'],
    ];
    for (const jails of windows) {
      jails.forEach((jail, n) => pending.push(pendingEvent(`192.0.2.${n + 1}`, n, { jail, reason: n === 3 ? 'last' : null, bantime: n === 0 ? null : 60, restored: n === 1 })));
      const drained = [...pending.drain(10)].flat();
      assert.deepEqual(
        drained.map((event) => [event.jail, event.reason, event.bantime, event.restored]),
        jails.map((jail, n) => [jail, n === 3 ? 'last' : null, n === 0 ? null : 60, n === 1]),
      );
    }
  });
});
