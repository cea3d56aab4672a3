import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareNetworks, network4, network6 } from '../../../src/address/network.js';
import { byBlock } from '../../../src/fleet/bulk-catch-up.js';
import { banEvent } from '../../helpers/seed.js';

test('a bulk batch is sorted as the block index orders it: IPv4 then IPv6, by first address then prefix, equal blocks in arrival order', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const events = Array.from({ length: 5000 }, (_, i) => {
    const prefix = [32, 32, 24, 16, 0][i % 5]!;
    // Few distinct addresses: blocks repeat, and one first address comes with several prefixes.
    const first = Math.floor(random() * 64) * 2 ** 24;
    const network = i % 7 === 0 ? network6((BigInt(Math.floor(random() * 8)) << 120n) | BigInt(i % 3), 128) : network4(first, prefix);
    return { ...banEvent('192.0.2.1'), network, reason: String(i) };
  });
  const expected = [...events].sort((a, b) => compareNetworks(a.network, b.network));
  assert.deepEqual(byBlock(events).map((event) => event.reason), expected.map((event) => event.reason));
  assert.equal(events[0]!.reason, '0', 'the batch itself is left as it was');
});
