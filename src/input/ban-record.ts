// A ban's fields as a record holds them: typed values read back from a spool line or a row of
// fail2ban's database. They pass the rules the command line's text passes (actions/ban-request.ts
// takes those from the same functions), so nothing the hook would refuse reaches the store another
// way: a time of 1.5 or 1e20 was refused by the store's STRICT columns at insert instead, after
// other rows of the same input were committed.

import { formatNetwork } from '../address/format.js';
import type { Network } from '../address/network.js';
import { parseNetwork } from '../address/parse.js';
import { UsageError } from '../errors.js';
import { parseJail, parseNote, parseSource } from './names.js';
import { quote, quoteValue } from './quote.js';

/** A ban's fields as a record holds them; none is optional. */
export interface BanRecord {
  readonly address: unknown;
  readonly jail: unknown;
  readonly bantime: unknown;
  readonly source: unknown;
  readonly reason: unknown;
  readonly restored: unknown;
}

/** What a valid record says: the fields of actions/ban.ts's BanRequest. */
export interface BanRecordFields {
  readonly network: Network;
  readonly jail: string;
  readonly bantime: number | null;
  readonly source: string;
  readonly reason: string | null;
  readonly restored: boolean;
}

/** Each field checked as the command line checks its text; throws a UsageError naming the first bad one. */
export function parseBanRecord(record: BanRecord): BanRecordFields {
  return {
    jail: parseJail(textOf(record.jail, 'jail')),
    network: refuseEveryAddress(parseNetwork(textOf(record.address, 'address'))),
    bantime: record.bantime === null ? null : bantimeOf(record.bantime, 'bantime'),
    source: parseSource(textOf(record.source, 'source')),
    reason: record.reason === null ? null : parseNote(textOf(record.reason, 'reason'), 'reason') || null,
    restored: flagOf(record.restored, 'restored'),
  };
}

/** A /0 is never banned, whatever asks for it. */
export function refuseEveryAddress(network: Network): Network {
  if (network.prefix === 0) throw new UsageError(`refusing to ban ${formatNetwork(network)}: a /0 blocks every address`);
  return network;
}

/** Why a range is no safelist entry, or undefined: a /0 would keep every address of its family from being blocked. */
export function safelistEntryProblem(network: Network): string | undefined {
  return network.prefix === 0 ? `holds every address: nothing of IPv${network.family} would be blocked` : undefined;
}

/** The last second of year 9999: a later time of ban is no date anyone meant. */
export const LAST_BAN_TIME = 253_402_300_799;

/** A time of ban in whole seconds since 1970, as the store keeps it. */
export function isBanTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= LAST_BAN_TIME;
}

/**
 * fail2ban's <time> as the command line or the socket carries it: seconds since 1970, a fraction
 * (fail2ban's clock reads them) dropped.
 */
export function parseBanTime(text: string, what: string): number {
  const seconds = /^\d{1,12}(\.\d*)?$/.test(text) ? Math.floor(Number(text)) : NaN;
  if (isBanTime(seconds)) return seconds;
  throw new UsageError(`invalid ${what} ${quote(text)}: expected seconds since 1970 (fail2ban's <time>), at most ${LAST_BAN_TIME} (year 9999)`);
}

/** A record's time of ban (a spool line's banned_at, a row's timeofban). */
export function banTimeOf(value: unknown, what: string): number {
  if (isBanTime(value)) return value;
  throw new UsageError(`invalid ${what} ${quoteValue(value)}: expected whole seconds since 1970, at most ${LAST_BAN_TIME} (year 9999)`);
}

/**
 * A record's bantime, read as parseBantime (input/duration.ts) reads the same number written out:
 * whole seconds or -1, a larger one capped at what a number holds exactly.
 */
export function bantimeOf(value: unknown, what: string): number {
  if (value === -1) return -1;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return Math.min(value, Number.MAX_SAFE_INTEGER);
  throw new UsageError(`invalid ${what} ${quoteValue(value)}: expected whole seconds, or -1 for forever`);
}

/** A record's text field; the caller checks what the text says. */
export function textOf(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new UsageError(`invalid ${what} ${quoteValue(value)}: expected text`);
}

function flagOf(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new UsageError(`invalid ${what} ${quoteValue(value)}: expected true or false`);
}

/**
 * The host that recorded an event, as os.hostname() gave it to the writer. Not input: any name the
 * kernel holds must pass (a spooled ban of a host with an odd name is still a ban), only its length
 * is bounded (the kernel's own limit is 64).
 */
export function originOf(value: unknown, what: string): string {
  const text = textOf(value, what);
  if (text.length > 255) throw new UsageError(`invalid ${what} ${quote(text)}: expected a host name of at most 255 characters`);
  return text;
}
