import { createHash, randomBytes } from 'node:crypto';

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

// One randomBytes() call per id costs ~2 µs in a million-row import; draw them from a pool.
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let offset = 0;

function randomChunk(): Buffer {
  if (offset >= pool.length) {
    pool = randomBytes(16 * POOL_IDS);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/**
 * A UUIDv8 derived from a key: the same imported line gets the same id on every import, so
 * importing a file twice adds nothing.
 */
export function uuidFromKey(key: string): Buffer {
  const id = createHash('sha256').update(key).digest().subarray(0, 16);
  id[6] = (id[6]! & 0x0f) | 0x80;
  id[8] = (id[8]! & 0x3f) | 0x80;
  return id;
}

export function uuidText(id: Buffer): string {
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidFromText(text: string): Buffer | undefined {
  const hex = text.replace(/-/g, '');
  return /^[0-9a-f]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}
