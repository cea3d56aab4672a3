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

export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
