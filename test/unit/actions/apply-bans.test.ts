// applyBans (the daemon's group commit) must come out exactly as applyBan one event after another:
// the same outcomes (what the live set is told, what is reported) and the same rows. Random batches
// over a small address space, so that bans meet stored blocks, each other, safelisted ranges and
// ids already taken; the same batch goes to two copies of one store, one each way.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import { applyBan, applyBans, newIndependentHosts } from '../../../src/actions/ban.js';
import { DEFAULTS, type Config } from '../../../src/config/config.js';
import type { BanEvent } from '../../../src/store/bans.js';
import { uuidv7 } from '../../../src/store/ids.js';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = 1_790_000_000;

/** A small seeded generator (mulberry32): a failure can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Events over 10.0.0.0/20 and 2001:db8::/120; `blocks`: the share of them wider than a host. */
function eventMaker(next: () => number, blocks: number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const host = () => (next() < 0.15 ? `2001:db8::${Math.floor(next() * 64).toString(16)}` : `10.0.${Math.floor(next() * 16)}.${Math.floor(next() * 256)}`);
  const address = () => {
    const roll = next() / blocks;
    if (roll >= 1) return host();
    if (roll < 0.6) return `10.0.${Math.floor(next() * 16)}.${Math.floor(next() * 16) * 16}/28`;
    if (roll < 0.9) return `10.0.${Math.floor(next() * 16)}.0/24`;
    return '2001:db8::/122';
  };
  return (): BanEvent => {
    const restored = next() < 0.1;
    return {
      uuid: uuidv7(),
      origin: pick(['here', 'host-b', 'host-c']),
      network: parseNetwork(address()),
      jail: pick(['sshd', 'sshd', 'postfix', 'recidive']),
      bannedAt: NOW - Math.floor(next() * 86_400),
      bantime: pick([600, -1, null]),
      source: pick(['fail2ban', 'fleet:host-b', 'manual']),
      reason: null,
      restored,
      ...(restored && next() < 0.5 ? { timeUnknown: true } : {}),
      ...(!restored && next() < 0.05 ? { until: NOW + 3600 } : {}),
    };
  };
}

function copies(seed: readonly BanEvent[], config: Config, safelisted: readonly string[]): [Store, Store] {
  return [0, 1].map(() => {
    const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
    store.write(() => {
      for (const address of safelisted) store.safelist.add(parseNetwork(address), null, NOW - 10);
      for (const event of seed) applyBan(store, config, NOW - 5, event);
    });
    return store;
  }) as [Store, Store];
}

const rows = (store: Store) => store.db.prepare('SELECT hex(uuid), origin, address, jail, banned_at, bantime, source, restored, lifted_at, lifted_by, until FROM bans ORDER BY hex(uuid)').raw().all();

const configs: Array<[string, Config]> = [
  ['the default policy', { ...DEFAULTS, safelist: [...DEFAULTS.safelist, parseNetwork('10.0.1.64/27')] }],
  ['a policy of some jails', { ...DEFAULTS, policy: { ...DEFAULTS.policy, jails: ['sshd'] } }],
  ['a policy of two offences', { ...DEFAULTS, policy: { ...DEFAULTS.policy, minBans: 2 } }],
];

for (const [name, config] of configs) {
  test(`applyBans comes out as applyBan one by one: ${name}`, () => {
    let together = 0;
    for (let round = 0; round < 12; round++) {
      const next = random(round * 7919 + name.length);
      const make = eventMaker(next, 0.03);
      const seed = Array.from({ length: 300 }, eventMaker(next, 0.1));
      const batch = Array.from({ length: 300 }, make);
      // The same event handed over twice, and an id of a stored ban under another ban.
      batch.push(batch[3]!, { ...make(), uuid: seed[5]!.uuid }, { ...make(), uuid: batch[7]!.uuid });
      const [one, other] = copies(seed, config, round % 2 === 0 ? ['10.0.2.0/25', '10.0.9.7', '2001:db8::20/126'] : []);
      together += other.read(() => newIndependentHosts(other, config, NOW, batch).length);
      const expected = one.write(() => batch.map((event) => applyBan(one, config, NOW, event)));
      const outcomes = other.write(() => applyBans(other, config, NOW, batch));
      assert.deepEqual(outcomes, expected, `round ${round}`);
      assert.deepEqual(rows(other), rows(one), `round ${round}`);
      one.close();
      other.close();
    }
    // The test means something only if bans went together.
    if (config.policy.minBans > 1) assert.equal(together, 0);
    else assert.ok(together > 12 * 50, `${together} bans went together`);
  });
}
