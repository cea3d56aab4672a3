// Turns what the parsers found into ban events and writes them in batches, one transaction each, so a
// ban hook arriving meanwhile waits for one batch at most, never for the whole import. Every event's
// id is derived from what identifies it (format, jail, address, and the time for fail2ban's records;
// see importEventId in import/event-id.ts): the same input imported again yields the same ids, which the store ignores, so a
// second import adds nothing and a re-run after an interruption adds only what is missing.

import { formatNetwork } from '../address/format.js';
import type { Protected } from '../actions/lockout.js';
import { describeConflict, lockoutConflict } from '../actions/lockout.js';
import { isBanTime } from '../input/ban-record.js';
import { formatTime } from '../clock.js';
import type { BanEvent } from '../store/bans.js';
import type { Store } from '../store/store.js';
import type { ImportFormat } from './formats.js';
import { PendingEvents, type PendingEvent } from './pending.js';
import { recordsFail2banBans, SameBans } from './same-ban.js';
import type { Candidate, LineOutcome } from './outcome.js';

/** Rows per transaction: a ban hook arriving meanwhile waits for one such commit at most. */
export const BATCH_SIZE = 10_000;
/**
 * Events read ahead and sorted by block before they are written: a file in any order then reaches
 * the indexes in runs of neighbouring keys. A shuffled million-line list, imported: 9.1 s with a
 * window of 100k, 5.2 s with one of a million (its window's columns take ~50 MB; see pending.ts).
 */
export const WINDOW_SIZE = 1_000_000;
/** Invalid lines kept for the report; beyond this they are only counted. */
export const MAX_LISTED = 1000;
/** Characters of a reported line that are kept. */
const MAX_TEXT = 200;
/** How far ahead of this host's clock a record's time may be: another host's clock, a time zone. */
const FUTURE_SLACK_SECONDS = 86_400;

export interface ImportSettings {
  readonly format: ImportFormat;
  /** Jail of list entries (lists name none). */
  readonly jail: string;
  /** Bantime of list entries: -1, a list is a permanent blocklist. */
  readonly bantime: number | null;
  /** Time of list entries (lists carry none). */
  readonly now: number;
  readonly origin: string;
  /** Addresses that must not be banned without --force (loopback, this host, the SSH client). */
  readonly protected: readonly Protected[];
  readonly batchSize: number;
  readonly windowSize: number;
}

/** Where a problem is: a line number, or a row of a database ("bans rowid 12"). */
export type Location = number | string;

export interface Problem {
  readonly at: Location;
  readonly text: string;
  readonly error: string;
}

export interface ImportCounts {
  /** Lines (or rows) read. */
  readonly read: number;
  /** Bans found (valid). */
  readonly found: number;
  readonly added: number;
  /**
   * Found, but already in the store: imported before, repeated in the input, or the same ban of
   * fail2ban recorded by another of its sources (the hook, its database, its log: see same-ban.ts).
   */
  readonly duplicates: number;
  readonly invalid: number;
  /** Lines of the right kind that are deliberately not imported (an iptables rule that is not a plain source block). */
  readonly ignored: number;
}

export interface ImportResult extends ImportCounts {
  readonly problems: Problem[];
  readonly ignoredLines: Problem[];
}

export class Importer {
  private read = 0;
  private found = 0;
  private added = 0;
  private duplicates = 0;
  private invalid = 0;
  private ignored = 0;
  private readonly problems: Problem[] = [];
  private readonly ignoredLines: Problem[] = [];
  private readonly pending: PendingEvents;
  private readonly keyPrefix: string;
  /** For fail2ban's database and log: leaves out the bans its other sources recorded already. */
  private readonly sameBans: SameBans | undefined;

  /** With `collect` false it only judges (--strict's first pass). */
  constructor(
    private readonly settings: ImportSettings,
    private readonly collect: boolean,
  ) {
    const source = `import:${settings.format}`;
    this.keyPrefix = `${source}\n`;
    this.pending = new PendingEvents(settings.origin, source);
    this.sameBans = recordsFail2banBans(settings.format) ? new SameBans(settings.origin, source) : undefined;
  }

  /** Events waiting to be written; write them once this reaches settings.windowSize. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Takes the parser's verdict on one line or row. */
  accept(at: Location, text: string, outcome: LineOutcome): void {
    this.read++;
    if (outcome === undefined) return;
    if ('error' in outcome) return this.reject(at, text, outcome.error);
    if ('ignored' in outcome) {
      this.ignored++;
      if (this.ignoredLines.length < MAX_LISTED) this.ignoredLines.push({ at, text: detached(text), error: outcome.ignored });
      return;
    }
    const refusal = this.refusal(outcome);
    if (refusal !== undefined) return this.reject(at, text, refusal);
    this.found++;
    if (this.collect) this.pending.push(this.event(outcome));
  }

  /**
   * Writes the waiting events in block order, one transaction per settings.batchSize events, and
   * tells `progress` how many of them are written after each.
   */
  writeTo(store: Store, progress: (written: number, total: number) => void): void {
    const total = this.pending.length;
    let written = 0;
    for (const batch of this.pending.drain(this.settings.batchSize)) {
      const added = this.sameBans ? this.writeUnrecorded(store, this.sameBans, batch) : store.write(() => store.bans.insertMany(batch));
      this.added += added;
      this.duplicates += batch.length - added;
      written += batch.length;
      progress(written, total);
    }
  }

  /** Writes the events of `batch` that none of fail2ban's other sources recorded (same-ban.ts). */
  private writeUnrecorded(store: Store, sameBans: SameBans, batch: readonly BanEvent[]): number {
    const { inserted, taken } = store.write(() => {
      const { fresh, taken } = sameBans.unrecorded(store, batch);
      return { inserted: store.bans.insertMany(fresh), taken };
    });
    sameBans.keep(taken);
    return inserted;
  }

  result(): ImportResult {
    return {
      read: this.read,
      found: this.found,
      added: this.added,
      duplicates: this.duplicates,
      invalid: this.invalid,
      ignored: this.ignored,
      problems: this.problems,
      ignoredLines: this.ignoredLines,
    };
  }

  private reject(at: Location, text: string, error: string): void {
    this.invalid++;
    if (this.problems.length < MAX_LISTED) this.problems.push({ at, text: detached(text), error });
  }

  /**
   * The ban hook refuses these (some without --force); an import must not slip them in either. The
   * parsers check what their format holds; a time of ban is checked here again whatever the format,
   * so nothing the store would refuse at insert reaches a batch (--strict must write nothing).
   */
  private refusal(candidate: Candidate): string | undefined {
    const network = candidate.network;
    if (network.prefix === 0) return `refusing ${formatNetwork(network)}: a /0 blocks every address`;
    if (candidate.bannedAt !== undefined && !isBanTime(candidate.bannedAt)) return `invalid time of ban ${candidate.bannedAt}: expected whole seconds since 1970, at most year 9999`;
    // A ban dated ahead of now would never age out under the retention; a day covers clocks and time zones.
    if (candidate.bannedAt !== undefined && candidate.bannedAt > this.settings.now + FUTURE_SLACK_SECONDS) {
      return `time of ban ${formatTime(candidate.bannedAt)} is in the future (it is ${formatTime(this.settings.now)} here)`;
    }
    if (this.settings.protected.length === 0) return undefined;
    const conflict = lockoutConflict(network, this.settings.protected);
    return conflict && describeConflict(network, conflict);
  }

  private event(candidate: Candidate): PendingEvent {
    const jail = candidate.jail ?? this.settings.jail;
    return {
      // A record with a time of its own (fail2ban's) is one host's event: two hosts of a fleet that
      // banned the same address in the same second keep two events when their stores are merged.
      key: `${this.keyPrefix}${jail}\n${candidate.identity}${candidate.bannedAt === undefined ? '' : `\n${this.settings.origin}`}`,
      network: candidate.network,
      jail,
      bannedAt: candidate.bannedAt ?? this.settings.now,
      bantime: candidate.bantime === undefined ? this.settings.bantime : candidate.bantime,
      // Its own copy: a window holds up to a million reasons, and each, a slice of the line, would
      // keep the whole megabyte chunk of input it was read from alive.
      reason: candidate.reason == null ? null : copied(candidate.reason),
      restored: candidate.restored ?? false,
    };
  }
}

/**
 * A copy of (the start of) a line that does not keep the megabyte it was split from alive: V8 makes
 * a line a slice of its chunk, so a kept line would pin its whole chunk.
 */
function detached(text: string): string {
  return copied(text.slice(0, MAX_TEXT));
}

/** A string of its own: concatenation then slicing makes V8 copy the characters out of `text`'s parent. */
function copied(text: string): string {
  return ` ${text}`.slice(1);
}
