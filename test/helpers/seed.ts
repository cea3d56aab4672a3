// Fills a store through the real store API, much faster than one CLI process per ban.

import { randomBytes } from 'node:crypto';
import { parseNetwork } from '../../src/address/parse.js';
import { uuidv7 } from '../../src/store/ids.js';
import type { BanEvent } from '../../src/store/bans.js';
import { Store } from '../../src/store/store.js';

/** A fail2ban ban event of `address`, as the hook would record it. */
export function banEvent(address: string): BanEvent {
  return {
    uuid: uuidv7(),
    origin: 'test',
    network: parseNetwork(address),
    jail: 'sshd',
    bannedAt: 1_790_000_000,
    bantime: 600,
    source: 'fail2ban',
    reason: null,
    restored: false,
  };
}

export interface SeedBan {
  readonly address: string;
  readonly jail?: string;
  readonly bannedAt?: number;
  readonly source?: string;
  readonly bantime?: number;
  readonly restored?: boolean;
  /** Lifted at this time, as `stickyban unban` leaves an event. */
  readonly liftedAt?: number;
}

export function seedBans(db: string, bans: Iterable<SeedBan | string>): number {
  const store = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
  let count = 0;
  try {
    const batch: SeedBan[] = [];
    const lift = store.db.prepare("UPDATE bans SET lifted_at = ?, lifted_by = 'seed' WHERE id = last_insert_rowid()");
    const flush = () => {
      store.write(() => {
        for (const ban of batch) {
          store.bans.insert({
            ...banEvent(ban.address),
            origin: 'seed',
            jail: ban.jail ?? 'sshd',
            bannedAt: ban.bannedAt ?? Math.floor(Date.now() / 1000),
            bantime: ban.bantime ?? 600,
            source: ban.source ?? 'fail2ban',
            restored: ban.restored ?? false,
          });
          if (ban.liftedAt !== undefined) lift.run(ban.liftedAt);
        }
      });
      count += batch.length;
      batch.length = 0;
    };
    for (const ban of bans) {
      batch.push(typeof ban === 'string' ? { address: ban } : ban);
      if (batch.length === 10_000) flush();
    }
    flush();
  } finally {
    store.close();
  }
  return count;
}

/** n distinct IPv4 addresses in 100.64.0.0/10 (shared address space, never a real host here). */
export function* manyIPv4(n: number, offset = 0): Generator<string> {
  const base = 100 * 2 ** 24 + 64 * 2 ** 16;
  for (let i = offset; i < offset + n; i++) {
    const value = base + i;
    yield `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
  }
}

export interface ManyBans {
  /** IPv4 addresses from 100.64.0.0 on, as manyIPv4 gives them. */
  readonly v4: number;
  /** IPv6 addresses from 2001:db8::1:0:0 on. */
  readonly v6?: number;
  readonly bannedAt: number;
}

/**
 * Distinct fail2ban bans of one event each, written by SQLite itself: a million in 2.5-4 s where
 * seedBans takes ~16 (no JavaScript per row, and ids in order, so the unique index is appended to).
 * Jails take turns: sshd, nginx, postfix.
 */
export function seedMany(db: string, bans: ManyBans): void {
  const store = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
  try {
    store.db.pragma('synchronous = OFF');
    const numbers = 'WITH RECURSIVE n(i) AS (SELECT 0 WHERE @count > 0 UNION ALL SELECT i + 1 FROM n WHERE i < @count - 1)';
    const columns = 'INSERT INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source, restored)';
    const common = "CASE i % 3 WHEN 0 THEN 'sshd' WHEN 1 THEN 'nginx' ELSE 'postfix' END, @bannedAt, 600, 'fail2ban', 0";
    const uuid = `unhex(printf('%s%016x', @salt, i))`;
    const v4 = '(@base + i)';
    const v6Key = "unhex(printf('20010db80000000000000001%04x%04x', i >> 16, i & 65535))";
    store.write(() => {
      store.db
        .prepare(`${numbers} ${columns} SELECT ${uuid}, 'seed', 4, ${v4}, ${v4}, (${v4} >> 24) || '.' || ((${v4} >> 16) & 255) || '.' || ((${v4} >> 8) & 255) || '.' || (${v4} & 255), ${common} FROM n`)
        .run({ count: bans.v4, base: BigInt(100 * 2 ** 24 + 64 * 2 ** 16), salt: randomBytes(8).toString('hex'), bannedAt: bans.bannedAt });
      store.db
        .prepare(`${numbers} ${columns} SELECT ${uuid}, 'seed', 6, ${v6Key}, ${v6Key}, printf('2001:db8::1:%x:%x', i >> 16, i & 65535), ${common} FROM n`)
        .run({ count: bans.v6 ?? 0, salt: randomBytes(8).toString('hex'), bannedAt: bans.bannedAt });
    });
    store.checkpoint();
  } finally {
    store.close();
  }
}

/**
 * `count` distinct IPv4 blocks of one prefix length, one fail2ban ban each, from `base` on (a
 * dotted-quad address aligned on the prefix), written by SQLite itself as seedMany writes addresses.
 */
export function seedBlocks(db: string, { count, prefix, base, bannedAt }: { count: number; prefix: number; base: string; bannedAt: number }): void {
  const size = 2 ** (32 - prefix);
  const first = base.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const store = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
  try {
    store.db.pragma('synchronous = OFF');
    const at = '(@first + i * @size)';
    store.write(() => {
      store.db
        .prepare(
          `WITH RECURSIVE n(i) AS (SELECT 0 WHERE @count > 0 UNION ALL SELECT i + 1 FROM n WHERE i < @count - 1)
           INSERT INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source, restored)
           SELECT unhex(printf('%s%016x', @salt, i)), 'seed', 4, ${at}, ${at} + @size - 1,
                  (${at} >> 24) || '.' || ((${at} >> 16) & 255) || '.' || ((${at} >> 8) & 255) || '.' || (${at} & 255) || '/' || @prefix,
                  'sshd', @bannedAt, 600, 'fail2ban', 0 FROM n`,
        )
        .run({ count, first: BigInt(first), size: BigInt(size), prefix, salt: randomBytes(8).toString('hex'), bannedAt });
    });
    store.checkpoint();
  } finally {
    store.close();
  }
}
