import { UsageError } from '../errors.js';
import { tryParseDuration } from './duration.js';
import { quote } from './quote.js';

const EXPECTED = 'expected a duration back from now such as 2h or 7d, or a time such as 2026-11-21 or 2026-11-21T09:00:00Z';

/**
 * A date, or a date and time with its offset. A time without one is refused: Date.parse would read
 * it in this machine's time zone, which the admin may not have in mind (fail2ban logs in local time,
 * list prints UTC).
 */
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** --since: a duration back from `now` (2h, 7d) or a time (2026-11-21 is its midnight UTC); epoch seconds. */
export function parseSince(text: string, now: number, what = '--since'): number {
  const seconds = tryParseDuration(text);
  if (seconds !== undefined) return now - seconds;
  const match = TIME.exec(text);
  const at = match && exists(match) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at)) throw new UsageError(`invalid ${what} ${quote(text)}: ${EXPECTED}`);
  return Math.floor(at / 1000);
}

/** The day exists and the clock reads at most 23:59:59: Date.parse rolls 2026-02-30 over to March. */
function exists(match: RegExpExecArray): boolean {
  const [, year, month, day, hour, minute, second] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const sameDay = date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
  return sameDay && Number(hour ?? 0) <= 23 && Number(minute ?? 0) <= 59 && Number(second ?? 0) <= 59;
}
