// A store's WAL as SQLite's wal-index (the -shm file) describes it, read without touching the store
// (a checkpoint from the test would itself empty the WAL). The offsets are those of the wal-index
// header and its checkpoint info (https://www.sqlite.org/walformat.html), in the machine's byte
// order: little-endian on the machines the suite runs on.

import { readFileSync } from 'node:fs';

export interface WalState {
  /** Frames in the WAL since it last started over (mxFrame). */
  readonly frames: number;
  /** Of them, the ones copied into the database file (nBackfill). */
  readonly copied: number;
}

export function walState(db: string): WalState {
  const index = readFileSync(`${db}-shm`);
  return { frames: index.readUInt32LE(16), copied: index.readUInt32LE(96) };
}
