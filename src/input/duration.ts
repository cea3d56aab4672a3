import { UsageError } from '../errors.js';
import { quote } from './quote.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
const PART = /(\d{1,9})([smhdwy])/y;
/** The longest duration an option takes unless it says otherwise. */
export const MAX_SECONDS = 100 * 31_536_000;
export const DURATION_EXPECTED = 'expected a number with a unit (s, m, h, d, w, y), e.g. 90d, 12h, 1h30m';

/**
 * The seconds "90d", "12h", "1h30m" stand for, 0 and more than any option takes included (the
 * caller says its range); undefined when the text is not written as a duration.
 */
export function readDuration(text: string): number | undefined {
  let seconds = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  }
  return text.length > 0 ? seconds : undefined;
}

/** The seconds of a duration of 1s to 100y; undefined for any other text (--since tries a time then). */
export function tryParseDuration(text: string): number | undefined {
  const seconds = readDuration(text);
  return seconds !== undefined && seconds > 0 && seconds <= MAX_SECONDS ? seconds : undefined;
}

/** A duration option in seconds, from `min` to `max`; what is wrong with the text says whether it is the form or the range. */
export function parseDuration(text: string, what: string, min = 1, max = MAX_SECONDS): number {
  const seconds = readDuration(text);
  if (seconds === undefined) throw new UsageError(`invalid ${what} ${quote(text)}: ${DURATION_EXPECTED}`);
  if (seconds < min || seconds > max) throw new UsageError(`invalid ${what} ${quote(text)}: expected ${durationRange(min, max)}`);
  return seconds;
}

/** "from 1s to 1d". */
export function durationRange(min: number, max: number): string {
  return `from ${formatDuration(min)} to ${formatDuration(max)}`;
}

/**
 * fail2ban's <bantime>: whole seconds, -1 for "forever"; a duration such as 1h is accepted too.
 * Returns -1 for forever.
 */
export function parseBantime(text: string): number {
  if (text === '-1') return -1;
  // fail2ban's bantime.increment without a maxtime doubles the bantime on every ban, without bound:
  // the hook must not lose such a ban. It is capped at what a number holds exactly (285 million
  // years), and stays a bantime: not -1, which the retention keeps forever.
  if (/^(0|[1-9]\d*)$/.test(text)) return Math.min(Number(text), Number.MAX_SAFE_INTEGER);
  const seconds = readDuration(text);
  if (seconds === undefined) {
    throw new UsageError(`invalid bantime ${quote(text)}: expected seconds (-1 for forever) or a duration such as 1h`);
  }
  return Math.min(seconds, Number.MAX_SAFE_INTEGER);
}

export function formatDuration(seconds: number): string {
  if (seconds < 0) return 'forever';
  for (const unit of ['y', 'w', 'd', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit]!;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
