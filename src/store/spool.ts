// The hook's last resort. When the store stays locked past the busy timeout (or cannot be opened),
// the ban is appended to a spool file next to the database instead of being dropped; the next
// command that opens the store folds the spool in. Each line carries the event's uuid, so folding
// the same line twice (a crash between insert and unlink) records it once.

import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatNetwork } from '../address/format.js';
import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import type { BanEvent } from './bans.js';
import { uuidFromText, uuidText } from './ids.js';

interface SpoolLine {
  uuid: string;
  origin: string;
  address: string;
  jail: string;
  banned_at: number;
  bantime: number | null;
  source: string;
  reason: string | null;
  restored: boolean;
}

// The spool's files are never opened through a link: the store's directory is one only root can
// change (store-file.ts), and a link in it is not ours to follow.
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export function spoolPath(dbPath: string): string {
  return `${dbPath}.spool`;
}

/**
 * Appends one event durably; one write() of one line, so concurrent hooks never interleave. A drain
 * can take the file over (rename, read, unlink) between this open and this write, and the line
 * would go to a file already read: so the write is checked to have landed in the file still at
 * the spool path, and written again otherwise. A line read twice is folded once (its uuid).
 * `interleave` runs between open and write: tests put a concurrent drain there.
 */
export function appendToSpool(dbPath: string, event: BanEvent, interleave: () => void = () => undefined): string {
  const path = spoolPath(dbPath);
  const line: SpoolLine = {
    uuid: uuidText(event.uuid),
    origin: event.origin,
    address: formatNetwork(event.network),
    jail: event.jail,
    banned_at: event.bannedAt,
    bantime: event.bantime,
    source: event.source,
    reason: event.reason,
    restored: event.restored,
  };
  const text = `${JSON.stringify(line)}\n`;
  for (let attempt = 0; ; attempt++) {
    const fd = openSync(path, APPEND, 0o600);
    let landed: boolean;
    try {
      if (attempt === 0) interleave();
      writeSync(fd, text);
      fsyncSync(fd);
      landed = stillAt(path, fstatSync(fd).ino);
    } finally {
      closeSync(fd);
    }
    if (landed) return path;
    if (attempt === SPOOL_ATTEMPTS) throw new Error(`${path} was taken over by a drain ${SPOOL_ATTEMPTS + 1} times while the ban was written to it`);
  }
}

/** Drains can only take a few files over while one hook writes; more means something else is wrong. */
const SPOOL_ATTEMPTS = 5;

function stillAt(path: string, ino: number): boolean {
  try {
    return statSync(path).ino === ino;
  } catch {
    return false;
  }
}

/** The names of the spool and of what interrupted folds left, in the store's directory. */
function spoolFiles(path: string): string[] {
  const claimPrefix = `${basename(path)}.claimed.`;
  try {
    return readdirSync(dirname(path)).filter((name) => name === basename(path) || name.startsWith(claimPrefix));
  } catch {
    return [];
  }
}

/** How many spool files wait to be folded in. */
export function spoolFilesWaiting(dbPath: string): number {
  return spoolFiles(spoolPath(dbPath)).length;
}

export interface ClaimedSpool {
  readonly events: BanEvent[];
  readonly files: string[];
  /** Lines that could not be read back; kept in <spool>.bad for a human. */
  readonly rejected: number;
}

/**
 * Takes the spool over by renaming it (new bans start a fresh file meanwhile), together with any
 * file an interrupted earlier drain left behind. Delete the files with `release` after the events
 * are committed.
 */
export function claimSpool(dbPath: string): ClaimedSpool | undefined {
  const path = spoolPath(dbPath);
  const dir = dirname(path);
  const claimPrefix = `${basename(path)}.claimed.`;
  const files = spoolFiles(path);
  if (files.length === 0) return undefined;
  const claimed: string[] = [];
  for (const name of files) {
    if (name.startsWith(claimPrefix)) {
      claimed.push(join(dir, name));
      continue;
    }
    const target = `${path}.claimed.${process.pid}.${Date.now()}`;
    try {
      renameSync(path, target);
      claimed.push(target);
    } catch {
      // Another process claimed it first.
    }
  }
  const events: BanEvent[] = [];
  let rejected = 0;
  for (const file of claimed) {
    let text: string;
    try {
      text = readNoFollow(file);
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const event = parseLine(line);
      if (event) events.push(event);
      else {
        rejected++;
        appendNoFollow(`${path}.bad`, `${line}\n`);
      }
    }
  }
  return { events, files: claimed, rejected };
}

function readNoFollow(file: string): string {
  const fd = openSync(file, READ);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function appendNoFollow(file: string, text: string): void {
  const fd = openSync(file, APPEND, 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function releaseSpool(claimed: ClaimedSpool): void {
  for (const file of claimed.files) {
    try {
      unlinkSync(file);
    } catch {
      // Already released by a concurrent drain of the same leftover.
    }
  }
}

function parseLine(text: string): BanEvent | undefined {
  let line: Partial<SpoolLine>;
  try {
    line = JSON.parse(text) as Partial<SpoolLine>;
  } catch {
    return undefined;
  }
  const uuid = typeof line.uuid === 'string' ? uuidFromText(line.uuid) : undefined;
  const network = typeof line.address === 'string' ? tryParseNetwork(line.address) : undefined;
  if (!uuid || !network || isParseFailure(network) || typeof line.jail !== 'string' || typeof line.banned_at !== 'number') {
    return undefined;
  }
  return {
    uuid,
    origin: typeof line.origin === 'string' ? line.origin : 'unknown',
    network,
    jail: line.jail,
    bannedAt: line.banned_at,
    bantime: typeof line.bantime === 'number' ? line.bantime : null,
    source: typeof line.source === 'string' ? line.source : 'spool',
    reason: typeof line.reason === 'string' ? line.reason : null,
    restored: line.restored === true,
  };
}
