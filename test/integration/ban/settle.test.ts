// The hook applies its live change after its commit, without a lock; settleAround repairs what a
// change committed meanwhile and applied first would otherwise lose (checked on a real store).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../src/address/format.js';
import type { Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { newBanEvent, recordBan, type BanRequest } from '../../../src/actions/ban.js';
import { changeAround, settleAround } from '../../../src/actions/plan-store.js';
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
