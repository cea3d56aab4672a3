// The plan's entry counts kept in the store (actions/plan-count.ts): new events counted on top of
// the kept counts give what a count of the whole plan gives, the plain way; any other change to
// what is planned asks for a full count.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countInTurns, plannedRanges, type PlannedRanges } from '../../../src/actions/plan-count.js';
import { streamFamilyPlan } from '../../../src/actions/plan-store.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { DEFAULTS, type Config } from '../../../src/config/config.js';
import { countPlanned } from '../../../src/plan/stream.js';
import { Store } from '../../../src/store/store.js';
import { seedBans, type SeedBan } from '../../helpers/seed.js';
import { tempStore } from '../../helpers/store.js';

const DAY = 86_400;
const NOW = Date.parse('2026-11-21T12:00:00Z') / 1000;
const CONFIG: Config = { ...DEFAULTS, policy: { ...DEFAULTS.policy, retentionSeconds: 30 * DAY }, safelist: [...DEFAULTS.safelist, parseNetwork('10.9.0.0/24')] };
const FULL = { full: true, newest: 0 };
const ON_TOP = { full: false, newest: 10_000 };

/** The ranges counted the plain way: every entry of the plan, now and without the retention. */
function expected(store: Store, config: Config): PlannedRanges {
  const all = { ...config, policy: { ...config.policy, retentionSeconds: undefined } };
  const count = (of: Config, family: 4 | 6) => store.read(() => countPlanned(streamFamilyPlan(store, of, NOW, family)));
  const range = (family: 4 | 6) => ({ min: count(config, family), max: Math.max(count(config, family), count(all, family)) });
  return { 4: range(4), 6: range(6) };
}

/** Random bans among nested blocks, a safelisted range, IPv6, old and recent: what interacts in a plan. */
function* randomBans(seed: number, n: number): Generator<SeedBan> {
  let state = seed;
  const next = (below: number) => ((state = (state * 1103515245 + 12345) >>> 0) % below);
  for (let i = 0; i < n; i++) {
    const bannedAt = NOW - (next(3) === 0 ? 60 : next(20)) * DAY;
    const shape = next(6);
    const address =
      shape === 0 ? `10.${next(10)}.${next(4)}.0/24` : shape === 1 ? `10.${next(10)}.0.0/16` : shape === 2 ? `2001:db8:${next(8).toString(16)}::${next(64).toString(16)}` : `10.${next(10)}.${next(4)}.${next(256)}`;
    yield { address, bannedAt };
  }
}

test('new bans counted on top of the kept counts give what a full count gives, round after round', async () => {
  const db = tempStore();
  seedBans(db, randomBans(1, 3000));
  const store = Store.open({ path: db, busyTimeoutMs: 5000 });
  try {
    const first = plannedRanges(store, CONFIG, NOW, FULL)!;
    assert.deepEqual(first.ranges, expected(store, CONFIG));
    store.write(first.save!);
    // Several new bans in one block name its entry in each of their regions: it counts once.
    const nested = ['10.8.3.0/24', '10.8.3.7', '10.8.3.9', '2001:db8:9::/48', '2001:db8:9::1'].map((address) => ({ address, bannedAt: NOW }));
    for (let round = 0; round < 7; round++) {
      seedBans(db, round === 6 ? nested : randomBans(100 + round, 1 + round * 12));
      // Alternately as a command counts (at once) and as the daemon does (in turns).
      if (round % 2 === 0) {
        const counted = plannedRanges(store, CONFIG, NOW, ON_TOP);
        assert.ok(counted?.save, `round ${round}: counted on top`);
        assert.deepEqual(counted.ranges, expected(store, CONFIG), `round ${round}`);
        store.write(counted.save);
      } else {
        assert.equal(await countInTurns(store, CONFIG, NOW, async () => undefined), true);
        assert.deepEqual(plannedRanges(store, CONFIG, NOW, { full: false, newest: 0 })?.ranges, expected(store, CONFIG), `round ${round}`);
      }
    }
  } finally {
    store.close();
  }
});

test('a lift, a deletion, a safelist change, a restore or another policy is counted again in full', () => {
  const db = tempStore();
  seedBans(db, randomBans(7, 500));
  seedBans(db, [{ address: '10.2.0.0/16', bannedAt: NOW - 60 * DAY }]);
  const store = Store.open({ path: db, busyTimeoutMs: 5000 });
  try {
    const changes: Array<[string, () => Config]> = [
      ['a lift', () => (store.write(() => store.bans.lift(parseNetwork('10.0.0.0/8'), 'sshd', NOW, 'test')), CONFIG)],
      ['a safelist entry', () => (store.write(() => store.safelist.add(parseNetwork('10.1.0.0/16'), null, NOW)), CONFIG)],
      ['a deletion', () => (store.write(() => store.bans.deleteIfStale(parseNetwork('10.2.0.0/16'), NOW, true)), CONFIG)],
      ['a restore', () => (store.write(() => store.restores.record({ started_at: NOW, duration_ms: 1, backend: 'ipset', entries4: 0, entries6: 0, trigger: 'restore', target: null, config_backend: 'ipset' })), CONFIG)],
      ['another policy', () => ({ ...CONFIG, policy: { ...CONFIG.policy, minBans: 2 } })],
    ];
    for (const [what, change] of changes) {
      store.write(plannedRanges(store, CONFIG, NOW, FULL)!.save ?? (() => undefined));
      const config = change();
      assert.equal(plannedRanges(store, config, NOW, ON_TOP), undefined, `${what}: not counted on top`);
      assert.deepEqual(plannedRanges(store, config, NOW, FULL)?.ranges, expected(store, config), what);
    }
  } finally {
    store.close();
  }
});
