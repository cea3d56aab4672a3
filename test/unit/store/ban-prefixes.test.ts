// The prefix lengths kept beside the bans (migration 0011): the search around a batch of hosts
// looks for enclosing blocks only at the lengths stored, so every way a ban is stored must note its
// length in its own transaction, or the blocks of that length go unseen.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = 1_790_000_100;

function newStore(): Store {
  return Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
}

const around = (store: Store, ...hosts: string[]) => store.bans.qualifyingAroundHosts(hosts.map(parseNetwork), DEFAULTS.policy, NOW).map((blocks) => blocks.map(formatNetwork));
const lengths = (store: Store) => store.db.prepare('SELECT family, prefix FROM ban_prefixes ORDER BY family, prefix').raw().all();

test('each stored length is noted once, by a single insert and by many, and the blocks of each are found around a host', () => {
  const store = newStore();
  store.write(() => ['192.0.2.1', '203.0.113.0/24', '10.0.0.0/8', '2001:db8::/48'].forEach((address) => store.bans.insert(banEvent(address))));
  store.write(() => store.bans.insertMany(['203.0.113.9', '10.1.0.0/16', '10.2.0.0/16', '2001:db8::5', '198.51.100.7'].map(banEvent)));
  assert.deepEqual(lengths(store), [[4, 8], [4, 16], [4, 24], [4, 32], [6, 48], [6, 128]]);
  assert.deepEqual(around(store, '203.0.113.9', '10.1.2.3', '192.0.2.2', '198.51.100.7'), [['203.0.113.0/24', '203.0.113.9'], ['10.0.0.0/8', '10.1.0.0/16'], [], ['198.51.100.7']]);
  assert.deepEqual(around(store, '2001:db8::5', '2001:db9::1'), [['2001:db8::/48', '2001:db8::5'], []]);
  store.close();
});

test('a length noted in a transaction that is rolled back is not kept, and is noted again by the next insert', () => {
  const store = newStore();
  assert.throws(() =>
    store.write(() => {
      store.bans.insert(banEvent('203.0.113.0/24'));
      throw new Error('cut short');
    }),
  );
  assert.deepEqual(lengths(store), []);
  store.write(() => store.bans.insert(banEvent('203.0.113.0/24')));
  assert.deepEqual(around(store, '203.0.113.9'), [['203.0.113.0/24']]);
  store.close();
});
