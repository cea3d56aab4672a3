import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Event ids are UUIDv7: a millisecond timestamp then random bits. Globally unique, so stores of
 * several hosts merge without duplicates, and time-ordered, so a million inserts append to the end
 * of the unique index instead of scattering writes over it.
 */
export function uuidv7(nowMs: number = Date.now()): Buffer {
  const id = Buffer.from(randomChunk());
  id.writeUIntBE(nowMs, 0, 6);
  id[6] = (id[6]! & 0x0f) | 0x70;
  id[8] = (id[8]! & 0x3f) | 0x80;
  return id;
}

// The random bits come from the kernel's CSPRNG, as crypto.randomBytes' do, but without loading
// node:crypto: its dozen modules cost the ban hook, which makes one id, ~2.7 ms. A read per id
// would cost a million-row import ~2 µs each; they are drawn from a pool.
const POOL_IDS = 256;
let pool: Buffer = Buffer.alloc(0);
let offset = 0;

function randomChunk(): Buffer {
  if (offset >= pool.length) {
    pool = randomPool();
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

export function uuidText(id: Buffer): string {
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidFromText(text: string): Buffer | undefined {
  const hex = text.length === 36 && text[8] === '-' && text[13] === '-' && text[18] === '-' && text[23] === '-'
    ? text.slice(0, 8) + text.slice(9, 13) + text.slice(14, 18) + text.slice(19, 23) + text.slice(24)
    : text.replace(/-/g, '');
  if (hex.length !== 32) return undefined;
  // Buffer.from stops at the first character that is not a hex digit (upper case is refused below).
  const id = Buffer.from(hex, 'hex');
  return id.length === 16 && !/[A-F]/.test(hex) ? id : undefined;
}

/** A pool of random bytes; nothing of it is used unless all of it was read. */
function randomPool(): Buffer {
  const fresh = Buffer.allocUnsafe(16 * POOL_IDS);
  const fd = openSync('/dev/urandom', 'r');
  try {
    // A signal can cut a read short; /dev/urandom itself never runs dry, so nothing read is an error.
    for (let filled = 0; filled < fresh.length; ) {
      const read = readSync(fd, fresh, filled, fresh.length - filled, null);
      if (read === 0) throw new Error('/dev/urandom returned no bytes');
      filled += read;
    }
  } finally {
    closeSync(fd);
  }
  return fresh;
}
