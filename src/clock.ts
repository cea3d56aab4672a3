import { UsageError } from './errors.js';
import { quote } from './input/quote.js';

/** Seconds since the epoch. Passed in everywhere time matters, so retention logic is tested without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/**
 * STICKYBAN_NOW pins the clock (epoch seconds or an ISO 8601 time), the way fail2ban's MyTime.setTime
 * does for its tests; tests that run the real CLI use it to place bans in the past.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const pinned = env.STICKYBAN_NOW;
  if (pinned === undefined || pinned === '') return systemClock;
  const seconds = /^\d+$/.test(pinned) ? Number(pinned) : Date.parse(pinned) / 1000;
  if (!Number.isFinite(seconds)) {
    throw new UsageError(`invalid STICKYBAN_NOW ${quote(pinned)}: expected epoch seconds or an ISO 8601 time`);
  }
  const fixed = Math.floor(seconds);
  return () => fixed;
}

/** Seconds from 1970 to the end of 9999: the years toISOString writes with four digits. */
const FOUR_DIGIT_YEARS = 253_402_300_800;

/**
 * ISO 8601 in UTC, to the second (2026-11-21T12:00:00Z). Listing or exporting a store writes two
 * for every block, so whole seconds from 1970 on are written from the civil date worked out by
 * arithmetic (H. Hinnant's days-to-civil), not by a Date each: 2M times 2.0-2.5 -> 0.4-0.5 s.
 */
export function formatTime(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds >= FOUR_DIGIT_YEARS) return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  const days = Math.floor(seconds / 86_400);
  const inDay = seconds - days * 86_400;
  // Days since 0000-03-01 in 400-year eras; a year starts in March, so that February is last.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = era * 400 + yearOfEra + (month <= 2 ? 1 : 0);
  return `${year}-${twoDigits(month)}-${twoDigits(day)}T${twoDigits(Math.floor(inDay / 3600))}:${twoDigits(Math.floor(inDay / 60) % 60)}:${twoDigits(inDay % 60)}Z`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}
