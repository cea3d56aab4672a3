// One spooled ban: a line of JSON. Read back, a line is held to the hook's own rules
// (input/ban-record.ts), field by field: a line edited by hand, cut short or written by something
// else is refused as a whole, never half-trusted and never handed to the store to refuse (a time of
// 1.5 failed every command that folded the spool).

import { formatNetwork } from '../address/format.js';
import { UsageError } from '../errors.js';
import { banTimeOf, originOf, parseBanRecord } from '../input/ban-record.js';
import { quoteValue } from '../input/quote.js';
import type { BanEvent } from './bans.js';
import { uuidFromText, uuidText } from './ids.js';

/**
 * Longest line read back, in bytes. The hook writes well under 2 KiB (a reason is at most 200
 * characters, names 64, a host name 255); anything longer is not one of its lines.
 */
export const MAX_SPOOL_LINE = 4096;

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
  /** Only when true (BanEvent.timeUnknown); a line without it is a ban whose time is known. */
  time_unknown?: true;
  /** A temporary ban's end; absent otherwise. */
  until?: number;
  /** Only when true: the hook was told to ban even what the lockout guard refuses (--force). */
  forced?: true;
}

const FIELDS = new Set(['uuid', 'origin', 'address', 'jail', 'banned_at', 'bantime', 'source', 'reason', 'restored', 'time_unknown', 'until', 'forced']);

/** A spooled ban as read back: its event, and whether the hook was told to force it past the lockout guard. */
export interface SpooledBan {
  readonly event: BanEvent;
  readonly forced: boolean;
}

export function formatSpoolLine(event: BanEvent, forced = false): string {
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
    ...(event.timeUnknown ? { time_unknown: true as const } : {}),
    ...(event.until === undefined ? {} : { until: event.until }),
    ...(forced ? { forced: true as const } : {}),
  };
  return JSON.stringify(line);
}

/** The ban of one line; a UsageError says what is wrong with the first field that is. */
export function parseSpoolLine(text: string): SpooledBan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('not a JSON object (a line cut short?)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${quoteValue(parsed)} is not a JSON object`);
  // As the socket refuses a field it does not know: a line the hook did not write.
  const unknown = Object.keys(parsed).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw new UsageError(`unknown field ${quoteValue(unknown)}`);
  const line = parsed as Record<keyof SpoolLine, unknown>;
  if (line.forced !== undefined && line.forced !== true) throw new UsageError(`invalid forced ${quoteValue(line.forced)}: expected true, or no such field`);
  const uuid = typeof line.uuid === 'string' ? uuidFromText(line.uuid) : undefined;
  if (uuid === undefined) throw new UsageError(`invalid uuid ${quoteValue(line.uuid)}: expected 32 hexadecimal digits`);
  const fields = parseBanRecord(line);
  if (line.time_unknown !== undefined && line.time_unknown !== true) throw new UsageError(`invalid time_unknown ${quoteValue(line.time_unknown)}: expected true, or no such field`);
  const bannedAt = banTimeOf(line.banned_at, 'banned_at');
  const until = line.until === undefined ? undefined : banTimeOf(line.until, 'until');
  if (until !== undefined && until <= bannedAt) throw new UsageError(`invalid until ${quoteValue(line.until)}: expected a time after banned_at ${bannedAt}`);
  const event: BanEvent = {
    uuid,
    origin: originOf(line.origin, 'origin'),
    network: fields.network,
    jail: fields.jail,
    bannedAt,
    bantime: fields.bantime,
    source: fields.source,
    reason: fields.reason,
    restored: fields.restored,
    ...(line.time_unknown === true ? { timeUnknown: true } : {}),
    ...(until === undefined ? {} : { until }),
  };
  return { event, forced: line.forced === true };
}
