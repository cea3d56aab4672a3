// The hook applies its live change after its commit, without a lock; settleAround repairs what a
// change committed meanwhile and applied first would otherwise lose (checked on a real store).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../src/address/format.js';
import type { Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { newBanEvent, recordBan, type BanRequest } from '../../../src/actions/ban.js';
import { changeAround, changeAroundAdding, settleAround } from '../../../src/actions/plan-store.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { Store } from '../../../src/store/store.js';
import { tempDb } from '../../helpers/tmp.js';

const NOW = 1_700_000_000;

function request(address: string): BanRequest {
  return { network: parseNetwork(address), jail: 'sshd', bantime: 600, source: 'fail2ban', reason: null, restored: false };
}

function ban(store: Store, address: string) {
  return recordBan(store, DEFAULTS, NOW, newBanEvent(request(address), NOW));
}

const texts = (cidrs: readonly Cidr<number | bigint>[]) => cidrs.map((cidr) => formatCidr(4, cidr as Cidr<number>));

describe('settleAround', () => {
  test('nothing changed meanwhile: nothing to do', () => {
    const store = Store.open({ path: tempDb(), busyTimeoutMs: 1000, create: true });
    const outcome = ban(store, '192.0.2.5');
    const late = settleAround(store, DEFAULTS, NOW, parseNetwork('192.0.2.5'), outcome.after);
    assert.deepEqual(late.v4, { add: [], del: [] });
    store.close();
  });

  test('a safelist add committed after the ban: the address comes out of the live set again', () => {
    const store = Store.open({ path: tempDb(), busyTimeoutMs: 1000, create: true });
    const outcome = ban(store, '192.0.2.5');
    assert.deepEqual(texts(outcome.delta.v4.add), ['192.0.2.5']);
    store.write(() => store.safelist.add(parseNetwork('192.0.2.5'), null, NOW));
    const late = settleAround(store, DEFAULTS, NOW, parseNetwork('192.0.2.5'), outcome.after);
    assert.deepEqual(texts(late.v4.del), ['192.0.2.5']);
    assert.deepEqual(late.v4.add, []);
    store.close();
  });

  test('a block banned by another hook meanwhile: the host entry this hook added goes, the block stays', () => {
    const store = Store.open({ path: tempDb(), busyTimeoutMs: 1000, create: true });
    const host = ban(store, '192.0.2.5');
    ban(store, '192.0.2.0/24');
    const late = settleAround(store, DEFAULTS, NOW, parseNetwork('192.0.2.5'), host.after);
    assert.deepEqual(texts(late.v4.del), ['192.0.2.5']);
    assert.deepEqual(texts(late.v4.add), ['192.0.2.0/24'], 'added again: harmless, it is there');
    store.close();
  });

  test('a ban committed after an unban: the unban, landing late, puts the address back', () => {
    const store = Store.open({ path: tempDb(), busyTimeoutMs: 1000, create: true });
    const address = parseNetwork('192.0.2.5');
    ban(store, '192.0.2.5');
    const unban = store.write(() => changeAround(store, DEFAULTS, NOW, address, () => store.bans.lift(address, undefined, NOW, 'unban')));
    assert.deepEqual(texts(unban.delta.v4.del), ['192.0.2.5']);
    ban(store, '192.0.2.5');
    const late = settleAround(store, DEFAULTS, NOW, address, unban.after);
    assert.deepEqual(texts(late.v4.add), ['192.0.2.5']);
    assert.deepEqual(late.v4.del, []);
    store.close();
  });
});

// The daemon settles a batch only when something it did not queue was committed after it
// (daemon/commit-run.ts): the store's change mark must move with every commit, this connection's
// and any other's, and markOnCommit must say where a commit leaves it.
describe('Store.changeMark', () => {
  test('moves with every commit, here or in another connection; markOnCommit is the mark the commit leaves', async () => {
    const path = tempDb();
    const store = Store.open({ path, busyTimeoutMs: 1000, create: true });
    const other = Store.open({ path, busyTimeoutMs: 1000 });
    const before = store.changeMark();
    const promised = store.write(() => {
      recordBan(store, DEFAULTS, NOW, newBanEvent(request('192.0.2.5'), NOW));
      return store.markOnCommit();
    });
    assert.notDeepEqual(promised, before);
    assert.deepEqual(store.changeMark(), promised, 'where the commit left it');
    store.read(() => store.bans.maxId());
    assert.deepEqual(store.changeMark(), promised, 'a read is no change');

    ban(other, '192.0.2.6');
    const afterOther = store.changeMark();
    assert.notEqual(afterOther.others, promised.others, "another connection's commit (the hook's) moves it");
    assert.equal(afterOther.own, promised.own);
    other.write(() => other.bans.maxId());
    assert.deepEqual(store.changeMark(), afterOther, 'a write transaction that wrote nothing is no change');

    ban(store, '192.0.2.7');
    assert.deepEqual(store.changeMark(), { ...afterOther, own: afterOther.own + 1 }, "this connection's own commit moves it");
    const beforeBookkeeping = store.changeMark();
    await store.writeAsync(() => store.fleet.set('cursor', '1'), undefined, 'bookkeeping');
    assert.deepEqual(store.changeMark(), { ...beforeBookkeeping, bookkeeping: beforeBookkeeping.bookkeeping + 1 }, 'bookkeeping (the fleet cursor) is counted apart');
    other.close();
    store.close();
  });
});

// A ban that qualifies on arrival reads the blocks around it once (changeAroundAdding); what it
// finds must be what reading them before and after the insert finds (changeAround).
describe('changeAroundAdding', () => {
  test('gives changeAround\'s delta and plan for 400 random bans among random safelist ranges', () => {
    const stores = [tempDb(), tempDb()].map((path) => Store.open({ path, busyTimeoutMs: 1000, create: true }));
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const blockIn = (prefixes: number) => {
      const prefix = 32 - random(prefixes);
      const host = random(256) & ~((1 << (32 - prefix)) - 1) & 255;
      return parseNetwork(`192.0.2.${host}/${prefix}`);
    };
    for (let i = 0; i < 6; i++) {
      const safe = blockIn(3);
      for (const store of stores) store.write(() => store.safelist.add(safe, null, NOW));
    }
    for (let i = 0; i < 400; i++) {
      const network = blockIn(9);
      const event = newBanEvent({ ...request('192.0.2.1'), network }, NOW);
      const [fast, generic] = stores.map((store, which) =>
        store.write(() => (which === 0 ? changeAroundAdding : changeAround)(store, DEFAULTS, NOW, network, () => store.bans.insert(event))),
      );
      assert.deepEqual(fast!.delta, generic!.delta, `ban ${i} of ${formatCidr(4, network as Cidr<number>)}`);
      assert.deepEqual(texts(fast!.after), texts(generic!.after));
    }
    for (const store of stores) store.close();
  });
});
