// The hook's last resort. When the store stays locked past the busy timeout (or cannot be opened),
// the ban is appended to a spool file next to the database instead of being dropped; the next
// command that writes folds the spool in. Each line carries the event's uuid, so folding the same
// line twice (a crash between insert and unlink) records it once. A line that is not valid
// (spool-line.ts) goes to <spool>.bad for a human, so it never stops the bans around it.

import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { ranSince } from '../exec/pid.js';
import { appendWhole, appendWholeTo } from './append-whole.js';
import type { Network } from '../address/network.js';
import type { BanEvent } from './bans.js';
import { boundedLines, type Line } from './bounded-lines.js';
import { formatSpoolLine, MAX_SPOOL_LINE, parseSpoolLine } from './spool-line.js';

// The spool's files are never opened through a link: the store's directory is one only root can
// change (store-file.ts), and a link in it is not ours to follow.
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The spool beside a store: its path with this added. */
export const SPOOL_SUFFIX = '.spool';

export function spoolPath(dbPath: string): string {
  return `${dbPath}${SPOOL_SUFFIX}`;
}

/**
 * Appends one event durably, whole or not at all (append-whole.ts): a line that cannot be written
 * completely throws, so the hook reports the ban as failed and fail2ban tries again. The line
 * starts with a newline too: should a cut line ever stay (its blanking failed, or a drain read it
 * first), the next one still starts a line of its own. A drain can take the file over (rename,
 * read, unlink) between this open and this write, and the line would go to a file already read: so
 * the write is checked to have landed in the file still at the spool path, and written again
 * otherwise. A line read twice is folded once (its uuid). `interleave` runs between open and
 * write: tests put a concurrent drain there.
 */
export function appendToSpool(dbPath: string, event: BanEvent, interleave: () => void = () => undefined, forced = false): string {
  const path = spoolPath(dbPath);
  const bytes = Buffer.from(`\n${formatSpoolLine(event, forced)}\n`);
  for (let attempt = 0; ; attempt++) {
    const fd = openSync(path, APPEND, 0o600);
    let landed: boolean;
    try {
      if (attempt === 0) interleave();
      appendWhole(fd, bytes, path);
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

/** A spool taken over by a drain: `<spool>.claimed.<pid of the drain>.<ms since 1970>`. */
const CLAIM = /\.claimed\.(\d+)\.(\d+)$/;

/** The names of the spool and of the claims drains made, in the store's directory. */
function spoolFiles(path: string): string[] {
  const claimPrefix = `${basename(path)}.claimed.`;
  try {
    return readdirSync(dirname(path)).filter((name) => name === basename(path) || (name.startsWith(claimPrefix) && CLAIM.test(name)));
  } catch {
    return [];
  }
}

/** How many spool files wait to be folded in. */
export function spoolFilesWaiting(dbPath: string): number {
  return spoolFiles(spoolPath(dbPath)).length;
}

export interface SpoolCounts {
  /** Lines (not blank) that wait in the spool and its claims. */
  readonly waiting: number;
  /** Lines kept in the quarantine. */
  readonly quarantined: number;
  /**
   * When the oldest waiting ban was spooled (seconds since 1970), undefined when none waits: the
   * time of its event, which the hook takes as it spools it; a replay carries fail2ban's older time,
   * so for those (and lines that are not valid) the file's last write stands in, a later time.
   */
  readonly oldest: number | undefined;
}

/** What waits in the spool and what its quarantine holds: for doctor. */
export function spoolLineCounts(dbPath: string): SpoolCounts {
  const path = spoolPath(dbPath);
  let waiting = 0;
  let oldest: number | undefined;
  for (const name of spoolFiles(path)) {
    const file = join(dirname(path), name);
    const { lines, oldest: inFile } = linesIn(file, true);
    waiting += lines;
    if (inFile !== undefined && (oldest === undefined || inFile < oldest)) oldest = inFile;
  }
  return { waiting, quarantined: linesIn(quarantinePath(dbPath), false).lines, oldest };
}

function linesIn(file: string, dated: boolean): { lines: number; oldest: number | undefined } {
  let lines = 0;
  let oldest: number | undefined;
  try {
    for (const line of boundedLines(file, READ, MAX_SPOOL_LINE)) {
      if (!line.cut && line.text.trim() === '') continue;
      lines++;
      if (!dated) continue;
      const spooledAt = spooledTime(line) ?? Math.floor(statSync(file).mtimeMs / 1000);
      if (oldest === undefined || spooledAt < oldest) oldest = spooledAt;
    }
  } catch {
    // Folded and released meanwhile, or not ours to read: what could be counted.
  }
  return { lines, oldest };
}

/** When the hook spooled a line's ban, when the line tells it: a new ban's time is the hook's clock. */
function spooledTime(line: Line): number | undefined {
  if (line.cut) return undefined;
  try {
    const { event } = parseSpoolLine(line.text);
    return event.restored ? undefined : event.bannedAt;
  } catch {
    return undefined;
  }
}

export interface ClaimedSpool {
  /** The bans of the valid lines, in the order of the files and lines. */
  readonly events: BanEvent[];
  readonly files: string[];
  /** Lines that are not valid bans: releaseSpool moves them to the quarantine (<spool>.bad). */
  readonly rejected: number;
  /** What is wrong with the first of them. */
  readonly problem: string | undefined;
  /** The claimed files that hold them. */
  readonly withRejected: readonly string[];
  /** Where releaseSpool moves them. */
  readonly quarantine: string;
  /** The lockout guard the lines were held to: releaseSpool finds the same ones bad. */
  readonly refuse: LockoutCheck;
}

/**
 * Takes the spool over by renaming it (new bans start a fresh file meanwhile), together with the
 * claims of drains that died before they were done: the claim of a drain still running is its own
 * to finish (two drains of one file would quarantine its bad lines twice). Files are read oldest
 * first, line by line (bounded, see boundedLines), each ban dated no later than `now`. Record the
 * events, then call releaseSpool.
 */
export function claimSpool(dbPath: string, now: number, refuse: LockoutCheck): ClaimedSpool | undefined {
  const path = spoolPath(dbPath);
  const claimed = claimFiles(path);
  if (claimed.length === 0) return undefined;
  const events: BanEvent[] = [];
  const files: string[] = [];
  const withRejected: string[] = [];
  let rejected = 0;
  let problem: string | undefined;
  for (const file of claimed) {
    const own: BanEvent[] = [];
    let bad = 0;
    let first: string | undefined;
    try {
      for (const line of boundedLines(file, READ, MAX_SPOOL_LINE)) {
        const read = readLine(line, refuse);
        if (read === undefined) continue;
        if ('problem' in read) {
          bad++;
          first ??= read.problem;
        } else {
          // Never later than now, as the hook dates a replay (newBanEvent): a line written before
          // the clock was stepped back must not date a ban in the future, out of reach of its bantime.
          own.push(read.bannedAt > now ? { ...read, bannedAt: now } : read);
        }
      }
    } catch (error) {
      // A link is not a claim of ours: nothing in it is read, and it is removed with the claim.
      // Otherwise released meanwhile (a drain took over the claim of one that died), or not ours
      // to read: left as it is, for whoever can.
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') files.push(file);
      continue;
    }
    for (const event of own) events.push(event);
    files.push(file);
    if (bad > 0) withRejected.push(file);
    rejected += bad;
    problem ??= first;
  }
  return { events, files, rejected, problem, withRejected, quarantine: quarantinePath(dbPath), refuse };
}

function claimFiles(path: string): string[] {
  const dir = dirname(path);
  const claimed: string[] = [];
  for (const name of spoolFiles(path)) {
    const claim = CLAIM.exec(name);
    if (claim) {
      const pid = Number(claim[1]);
      // Its claimer's, while that one runs: a process holding the id now but started after the claim is another.
      if (pid === process.pid || !ranSince(pid, claimTime(name))) claimed.push(join(dir, name));
      continue;
    }
    // Empty and new, it is a hook's between its open and its write (a drain woken by the file's
    // creation): taken over now, the write would land in a claimed file and the hook would have to
    // write again. Empty and old, a hook died there: taken over, and removed with the claim.
    if (isNewAndEmpty(path)) continue;
    const target = `${path}.claimed.${process.pid}.${Date.now()}`;
    try {
      renameSync(path, target);
      claimed.push(target);
    } catch {
      // Another process claimed it first.
    }
  }
  return claimed.sort((a, b) => claimTime(a) - claimTime(b) || a.localeCompare(b));
}

/** A hook writes within this long of its open, however loaded the machine. */
const WRITE_GRACE_MS = 10_000;

function isNewAndEmpty(path: string): boolean {
  try {
    const stats = lstatSync(path);
    return stats.size === 0 && Date.now() - stats.mtimeMs < WRITE_GRACE_MS;
  } catch {
    return true; // claimed by another drain meanwhile
  }
}

function claimTime(file: string): number {
  return Number(CLAIM.exec(file)![2]);
}

/** What the hook's lockout guard says of a ban of `network`: why it is refused, or undefined. */
export type LockoutCheck = (network: Network) => string | undefined;

/**
 * A line's event, what is wrong with it, or undefined for a blank line (padding, see
 * appendToSpool). Held to the hook's rules, the lockout guard too unless the hook was told --force.
 */
function readLine(line: Line, refuse: LockoutCheck): BanEvent | { readonly problem: string } | undefined {
  if (!line.cut && line.text.trim() === '') return undefined;
  if (line.cut) return { problem: `a line longer than ${MAX_SPOOL_LINE} bytes: not one the hook writes` };
  try {
    const { event, forced } = parseSpoolLine(line.text);
    const refused = forced ? undefined : refuse(event.network);
    return refused === undefined ? event : { problem: refused };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { problem: error.message };
  }
}

export function quarantinePath(dbPath: string): string {
  return `${spoolPath(dbPath)}.bad`;
}

export interface Released {
  /** Claimed files kept because their bad lines could not be quarantined: why (the next drain tries again). */
  readonly kept: { readonly why: string; readonly files: string[] } | undefined;
}

/**
 * Once the claim's events are recorded: moves its bad lines to the quarantine, for a human to look
 * at, and removes its files. Moving them only now means a drain that fails to record (the store
 * locked) leaves its claim to the next as it was, and no line is quarantined twice. A file whose
 * bad lines cannot be written to the quarantine (a full disk) is kept, and said so.
 */
export function releaseSpool(claimed: ClaimedSpool): Released {
  let kept: { why: string; files: string[] } | undefined;
  for (const file of claimed.files) {
    if (claimed.withRejected.includes(file)) {
      try {
        quarantine(claimed.quarantine, file, claimed.refuse);
      } catch (error) {
        kept ??= { why: (error as Error).message, files: [] };
        kept.files.push(file);
        continue;
      }
    }
    try {
      unlinkSync(file);
    } catch {
      // Already released by a drain that took over this claim after ours died.
    }
  }
  return { kept };
}

/** Appends the lines of `file` that are not valid bans to `target`, a megabyte at most per write. */
function quarantine(target: string, file: string, refuse: LockoutCheck): void {
  let lines: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (lines.length > 0) appendWholeTo(target, APPEND, Buffer.from(`${lines.join('\n')}\n`));
    lines = [];
    size = 0;
  };
  for (const line of boundedLines(file, READ, MAX_SPOOL_LINE)) {
    const read = readLine(line, refuse);
    if (read === undefined || !('problem' in read)) continue;
    // A cut line is kept as far as it was read: enough to see what wrote it.
    lines.push(line.cut ? `${line.text}…` : line.text);
    size += Buffer.byteLength(line.text) + 1;
    if (size >= QUARANTINE_WRITE) flush();
  }
  flush();
}

/** Bad lines are appended this many bytes at a time at most, whatever the spool held. */
const QUARANTINE_WRITE = 1 << 20;
