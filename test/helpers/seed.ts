// Fills a store through the real store API, much faster than one CLI process per ban.

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
  const store = Store.open({ path: db, busyTimeoutMs: 5000 });
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
