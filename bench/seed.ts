// The store the restore benchmarks load: N IPv4 bans spread over 100.0.0.0 - 115.255.255.255, N/10
// IPv6 bans and 10k safelisted CIDRs of /24 … /32 among them, the same entries on every run.

import { parseNetwork } from '../src/address/parse.js';
import { uuidv7 } from '../src/store/ids.js';
import { Store } from '../src/store/store.js';

export const SAFELIST = 10_000;
const V4_BASE = 100 * 2 ** 24; // 100.0.0.0/8 and up
const dotted = (value: number) => `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;

/** A deterministic pseudo-random source, so every run plans the same entries. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function seed(db: string, n: number, extra: readonly string[] = []): void {
  const next = random(n);
  const store = Store.open({ path: db, busyTimeoutMs: 10_000, create: true });
  const now = Math.floor(Date.now() / 1000);
  const ban = (address: string) =>
    store.bans.insert({ uuid: uuidv7(), origin: 'bench', network: parseNetwork(address), jail: 'sshd', bannedAt: now, bantime: 600, source: 'fail2ban', reason: null, restored: false });
  // Addresses spread over 100.0.0.0 - 115.255.255.255 so that the /24 safelist ranges hit some.
  for (let i = 0; i < n; i += 50_000) {
    store.write(() => {
      for (let j = i; j < Math.min(n, i + 50_000); j++) ban(dotted(V4_BASE + Math.floor(next() * 2 ** 28)));
      for (let j = i; j < Math.min(n, i + 50_000); j += 10) ban(`2001:db8:${Math.floor(next() * 65536).toString(16)}::${(j >>> 16).toString(16)}:${(j & 0xffff).toString(16)}`);
    });
  }
  store.write(() => {
    for (let i = 0; i < SAFELIST; i++) {
      const prefix = 24 + Math.floor(next() * 9); // /24 … /32
      const size = 2 ** (32 - prefix);
      const first = V4_BASE + Math.floor((next() * 2 ** 28) / size) * size;
      store.safelist.add(parseNetwork(prefix === 32 ? dotted(first) : `${dotted(first)}/${prefix}`), null, now);
    }
  });
  if (extra.length > 0) store.write(() => extra.forEach(ban));
  store.close();
}

