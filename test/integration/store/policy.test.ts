// The policy as the planner reads it from a real store: which blocks qualify for the permanent list.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr, formatNetwork } from '../../../src/address/format.js';
import { type Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { streamFamilyPlan } from '../../../src/actions/plan-store.js';
import { DEFAULTS, type Policy } from '../../../src/config/config.js';
import type { PackedPages } from '../../../src/store/bans.js';
import { Store } from '../../../src/store/store.js';
import { seedBans, type SeedBan } from '../../helpers/seed.js';
import { tempDb } from '../../helpers/tmp.js';

const DAY = 86_400;
const NOW = Date.parse('2026-11-21T12:00:00Z') / 1000;
const RETENTION = 180 * DAY;

interface Event {
  readonly address: string;
  readonly daysAgo: number;
  readonly jail?: string;
  readonly source?: string;
  readonly bantime?: number;
  readonly restored?: boolean;
  readonly lifted?: boolean;
}

const EVENTS: Event[] = [
  { address: '192.0.2.1', daysAgo: 1 }, // recent
  { address: '192.0.2.2', daysAgo: 300 }, // aged out
  { address: '192.0.2.3', daysAgo: 300 }, // aged out, but banned again recently
  { address: '192.0.2.3', daysAgo: 2 },
  { address: '192.0.2.4', daysAgo: 300, source: 'manual' }, // manual: kept
  { address: '192.0.2.5', daysAgo: 300, bantime: -1 }, // forever: kept
  { address: '192.0.2.6', daysAgo: 1, jail: 'recidive' },
  { address: '192.0.2.6', daysAgo: 1, jail: 'recidive' }, // two offences
  { address: '192.0.2.7', daysAgo: 1 }, // two offences, one of them replayed by fail2ban
  { address: '192.0.2.7', daysAgo: 1, restored: true },
  { address: '192.0.2.8', daysAgo: 1, restored: true }, // only a replay: still one offence
  { address: '192.0.2.9', daysAgo: 1, lifted: true }, // unbanned
  { address: '198.51.100.0/24', daysAgo: 300, jail: 'recidive' }, // an aged-out recidive ban ...
  { address: '198.51.100.0/24', daysAgo: 3 }, // ... banned again recently by another jail
  { address: '2001:db8::1', daysAgo: 1 },
  { address: '2001:db8::2', daysAgo: 300 },
  { address: '2001:db8::/64', daysAgo: 300, bantime: -1, jail: 'recidive' },
];

function seeded(): string {
  const db = tempDb();
  seedBans(
    db,
    EVENTS.map(({ daysAgo, lifted, ...rest }) => ({ ...rest, bannedAt: NOW - daysAgo * DAY, liftedAt: lifted ? NOW : undefined })),
  );
  return db;
}

/** The blocks of a paged read, unpacked. */
function paged<K extends number | bigint>(read: PackedPages<K>): Cidr<K>[] {
  return [...read.pages].flatMap((page) => page.map(read.unpack));
}

/**
 * The qualifying blocks as the planner reads them. Every other reading of the policy must agree:
 * `list`'s qualifies column, and the planner's reading around each block (the ban hook's).
 */
function qualifying(db: string, policy: Policy): string[] {
  const store = Store.open({ path: db, busyTimeoutMs: 1000, create: true });
  try {
    const v4 = [...store.bans.qualifying(4, policy, NOW)].map((block) => formatCidr(4, block));
    const v6 = [...store.bans.qualifying(6, policy, NOW)].map((block) => formatCidr(6, block as Cidr<bigint>));
    const streamed = [...paged(store.bans.qualifyingPages(4, policy, NOW)), ...paged(store.bans.qualifyingPages(6, policy, NOW))];
    assert.deepEqual(streamed, [...store.bans.qualifying(4, policy, NOW), ...store.bans.qualifying(6, policy, NOW)], 'a streamed read agrees');
    const listed = [...store.bans.summaries(policy, NOW)].filter((row) => row.qualifies === 1).map((row) => row.address);
    assert.deepEqual(listed, [...v4, ...v6], 'list agrees with the planner');
    const around = new Set<string>();
    for (const event of EVENTS) {
      const network = parseNetwork(event.address);
      for (const block of store.bans.qualifyingAround(network, policy, NOW)) around.add(formatNetwork(block));
    }
    assert.deepEqual([...around].sort(), [...v4, ...v6].sort(), 'the reading around each block agrees with the whole');
    return [...v4, ...v6];
  } finally {
    store.close();
  }
}

describe('which blocks the policy makes permanent', () => {
  const db = seeded();

  test('every ban, kept forever', () => {
    assert.deepEqual(qualifying(db, { jails: [], minBans: 1, retentionSeconds: undefined }), [
      '192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7', '192.0.2.8', '198.51.100.0/24',
      '2001:db8::/64', '2001:db8::1', '2001:db8::2',
    ]);
  });

  test('the retention drops blocks whose last ban is old, unless manual or forever', () => {
    assert.deepEqual(qualifying(db, { jails: [], minBans: 1, retentionSeconds: RETENTION }), [
      '192.0.2.1', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7', '192.0.2.8', '198.51.100.0/24',
      '2001:db8::/64', '2001:db8::1',
    ]);
  });

  test('a minimum of offences counts fail2ban replays as none, but a block with only replays as one', () => {
    assert.deepEqual(qualifying(db, { jails: [], minBans: 2, retentionSeconds: undefined }), ['192.0.2.3', '192.0.2.6', '198.51.100.0/24']);
    assert.deepEqual(qualifying(db, { jails: [], minBans: 2, retentionSeconds: RETENTION }), ['192.0.2.3', '192.0.2.6', '198.51.100.0/24']);
    assert.deepEqual(qualifying(db, { jails: [], minBans: 3, retentionSeconds: undefined }), []);
  });

  test('only the policy jails count, for the retention and the minimum alike', () => {
    assert.deepEqual(qualifying(db, { jails: ['recidive'], minBans: 1, retentionSeconds: undefined }), ['192.0.2.6', '198.51.100.0/24', '2001:db8::/64']);
    // The recent ban of 198.51.100.0/24 is from sshd: for a recidive-only policy the block aged out.
    assert.deepEqual(qualifying(db, { jails: ['recidive'], minBans: 1, retentionSeconds: RETENTION }), ['192.0.2.6', '2001:db8::/64']);
    assert.deepEqual(qualifying(db, { jails: ['recidive'], minBans: 2, retentionSeconds: RETENTION }), ['192.0.2.6']);
    assert.deepEqual(qualifying(db, { jails: ['sshd'], minBans: 2, retentionSeconds: undefined }), ['192.0.2.3']);
  });
});

describe('a streamed read', () => {
  test('over many pages gives the blocks of one query: none lost or repeated at a page boundary', () => {
    // Per family, 3,000 /24 blocks each holding two banned hosts, one of them banned twice: 9,000
    // blocks read in pages of 2,048, with nested blocks and repeated events across the boundaries.
    const bans: SeedBan[] = [];
    for (let i = 0; i < 3000; i++) {
      const [a, b] = [(i >> 8) & 255, i & 255];
      bans.push({ address: `10.${a}.${b}.0/24` }, { address: `10.${a}.${b}.7` }, { address: `10.${a}.${b}.9` }, { address: `10.${a}.${b}.9` });
      const group = (i + 1).toString(16);
      bans.push({ address: `2001:db8:${group}::/48` }, { address: `2001:db8:${group}::7` }, { address: `2001:db8:${group}::9` }, { address: `2001:db8:${group}::9` });
    }
    const db = tempDb();
    seedBans(db, bans);
    const store = Store.open({ path: db, busyTimeoutMs: 1000, create: true });
    try {
      for (const minBans of [1, 2]) {
        const policy: Policy = { jails: [], minBans, retentionSeconds: undefined };
        for (const family of [4, 6] as const) {
          const streamed = paged(store.bans.qualifyingPages(family, policy, NOW));
          assert.deepEqual(streamed, [...store.bans.qualifying(family, policy, NOW)]);
          assert.equal(streamed.length, minBans === 1 ? 9000 : 3000, `IPv${family}, min_bans ${minBans}`);
        }
      }
    } finally {
      store.close();
    }
  });

  test('a streamed plan equals the plan collected at once, stats included, across page boundaries', () => {
    // 5,000 hosts per family in pages of 2,048; a /20 block holding some of them straddles the first
    // page boundary, a safelisted /26 cuts it, and a config safelist entry drops one host.
    const bans: SeedBan[] = [];
    for (let i = 0; i < 5000; i++) bans.push({ address: `10.0.${i >> 8}.${i & 255}` }, { address: `2001:db8::${i.toString(16)}` });
    bans.push({ address: '10.0.0.0/20' }, { address: '2001:db8::/116' });
    const db = tempDb();
    seedBans(db, bans);
    const store = Store.open({ path: db, busyTimeoutMs: 1000, create: true });
    try {
      store.write(() => {
        store.safelist.add(parseNetwork('10.0.4.64/26'), null, NOW);
        store.safelist.add(parseNetwork('2001:db8::440/122'), null, NOW);
      });
      const config = { ...DEFAULTS, safelist: [...DEFAULTS.safelist, parseNetwork('10.0.18.7'), parseNetwork('2001:db8::1207')] };
      for (const family of [4, 6] as const) {
        const stream = streamFamilyPlan(store, config, NOW, family);
        const streamed: Cidr<number | bigint>[] = [];
        let steps = 0;
        for (const _page of stream.pages({ entry: (cidr) => void streamed.push(cidr) })) steps++;
        const whole = streamFamilyPlan(store, config, NOW, family).collect();
        assert.ok(steps >= 3, `IPv${family} read in ${steps} pages`);
        assert.deepEqual(streamed, whole.entries, `IPv${family} entries`);
        assert.deepEqual(stream.stats, { banned: whole.banned, dropped: whole.dropped, split: whole.split, planned: whole.planned }, `IPv${family} stats`);
        // The /20 (/116) and the 904 hosts past it; the safelist cuts the block and drops one host.
        assert.deepEqual([whole.banned, whole.split, whole.dropped], [905, 1, 1], `IPv${family} counts`);
      }
    } finally {
      store.close();
    }
  });
});
