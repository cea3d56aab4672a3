// The fleet database's own address is guarded as this host's are: one host's ban of it would cut
// every host off the fleet, the admin's lift of it included. What a socket says of its peer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { lockoutConflict, protectedPeer } from '../../../src/actions/lockout.js';

test('a peer address, mapped IPv6 too, is guarded; a block around it meets it; a Unix socket has none', () => {
  const why = 'the fleet database this host syncs with';
  const [guarded] = protectedPeer('::ffff:10.200.0.1', why);
  assert.equal(formatNetwork(guarded!.network), '10.200.0.1');
  assert.equal(lockoutConflict(parseNetwork('10.200.0.0/24'), [guarded!])?.why, why);
  assert.equal(lockoutConflict(parseNetwork('10.200.1.1'), [guarded!]), undefined);
  assert.deepEqual(protectedPeer(undefined, why), []);
  assert.equal(formatNetwork(protectedPeer('2001:db8::5', why)[0]!.network), '2001:db8::5');
});
