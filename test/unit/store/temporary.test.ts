// A temporary ban in the store: active until its end (the planner, the listing's summaries, the
// counts), ended after it by itself, lifted sooner by an unban; kept in a spooled line; never given
// to the fleet, which would keep it for good.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '../../../src/config/config.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { formatSpoolLine, parseSpoolLine } from '../../../src/store/spool-line.js';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

const T0 = 1_795_000_000;
const END = T0 + 7200;

function storeWith(...events: ReturnType<typeof banEvent>[]): Store {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  store.write(() => events.forEach((event) => store.bans.insert(event)));
  return store;
}

const temporary = { ...banEvent('192.0.2.9'), jail: 'manual', source: 'manual', bannedAt: T0, until: END };
const permanent = { ...banEvent('192.0.2.10'), bannedAt: T0 };
const policy = DEFAULTS.policy;
const planned = (store: Store, now: number) => store.bans.qualifying(4, policy, now).map((block) => block.first);

test('planned, summarised and counted until its end, not after', () => {
  const store = storeWith(temporary, permanent);
  try {
    const [nine, ten] = [parseNetwork('192.0.2.9').first, parseNetwork('192.0.2.10').first];
    assert.deepEqual(planned(store, END - 1), [nine, ten]);
    assert.deepEqual(planned(store, END), [ten]);
    assert.deepEqual(store.bans.qualifyingAround(parseNetwork('192.0.2.9'), policy, END - 1).length, 1);
    assert.deepEqual(store.bans.qualifyingAround(parseNetwork('192.0.2.9'), policy, END).length, 0);
    assert.deepEqual([...store.bans.summaries(policy, END - 1)].map((row) => [row.address, row.until]), [['192.0.2.9', END], ['192.0.2.10', null]]);
    assert.deepEqual([...store.bans.summaries(policy, END)].map((row) => row.address), ['192.0.2.10']);
    assert.deepEqual(store.bans.totals(END - 1), { events: 2, lifted: 0, addresses: 2 });
    assert.deepEqual(store.bans.totals(END), { events: 2, lifted: 1, addresses: 1 });
    assert.equal(store.bans.countBy('jail', END - 1).find((row) => row.key === 'manual')?.events, 1);
    assert.equal(store.bans.countBy('jail', END).find((row) => row.key === 'manual'), undefined);
    assert.equal(store.bans.hasActive(parseNetwork('192.0.2.9'), 'manual', END - 1), true);
    assert.equal(store.bans.hasActive(parseNetwork('192.0.2.9'), 'manual', END), false);
  } finally {
    store.close();
  }
});

test('an unban lifts it now; the bans that ended by themselves are found from the time of a restore', () => {
  const store = storeWith(temporary, { ...temporary, ...banEvent('192.0.2.11'), jail: 'manual', source: 'manual', bannedAt: T0, until: END + 60 });
  try {
    assert.deepEqual(store.bans.endedBetween(T0, END + 3600).map((row) => [row.address, row.until]), [['192.0.2.9', END], ['192.0.2.11', END + 60]]);
    assert.deepEqual(store.bans.endedBetween(END, END + 3600).map((row) => row.address), ['192.0.2.11'], 'ended after the restore of END');
    assert.equal(store.write(() => store.bans.lift(parseNetwork('192.0.2.11'), undefined, T0 + 60, 'unban')), 1);
    assert.deepEqual(store.bans.endedBetween(T0, END + 3600).map((row) => row.address), ['192.0.2.9'], 'one lifted sooner was taken out of the live set by its unban');
    assert.equal(store.write(() => store.bans.lift(parseNetwork('192.0.2.9'), undefined, END + 10, 'unban')), 0, 'nothing to lift once it ended');
  } finally {
    store.close();
  }
});

test('the fleet is not given it, whether it runs, ended or was lifted', () => {
  const store = storeWith(temporary, permanent);
  try {
    assert.deepEqual(store.fleet.outgoing(0, 10).map((event) => event.bannedAt && event.network.first), [parseNetwork('192.0.2.10').first]);
    assert.equal(store.fleet.waiting(0), 1);
  } finally {
    store.close();
  }
});

test('a spooled line keeps its end', () => {
  assert.equal(parseSpoolLine(formatSpoolLine(temporary)).event.until, END);
  assert.equal(parseSpoolLine(formatSpoolLine(permanent)).event.until, undefined);
  assert.throws(() => parseSpoolLine(formatSpoolLine({ ...temporary, until: T0 })), /invalid until .*: expected a time after banned_at/);
});
