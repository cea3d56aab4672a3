// The daemon's cron schedules as the config gives them, and what is wrong with one: the daemon
// schedules them (daemon/schedule.ts) and doctor checks them, since only the daemon reads them.

import { validateCronExpression } from 'cron';
import type { Config } from './config.js';
import { quote } from '../input/quote.js';

/** One of the daemon's schedules, as the config gives it. */
export interface ScheduleSetting {
  readonly key: 'prune_schedule' | 'resync_schedule';
  readonly expression: string;
  /** "" turns it off (never). */
  readonly mayBeOff: boolean;
}

/** The daemon's schedules, in one place for the daemon and `doctor`, which asks since only the daemon reads them. */
export function daemonSchedules(daemon: Config['daemon']): { prune: ScheduleSetting; resync: ScheduleSetting } {
  return {
    prune: { key: 'prune_schedule', expression: daemon.pruneSchedule, mayBeOff: false },
    resync: { key: 'resync_schedule', expression: daemon.resyncSchedule, mayBeOff: true },
  };
}

export function isOff(setting: ScheduleSetting): boolean {
  return setting.mayBeOff && setting.expression === '';
}

/** What is wrong with a setting that is not off, or undefined. */
export function cronProblem(setting: ScheduleSetting): string | undefined {
  const check = validateCronExpression(setting.expression);
  if (check.valid) return undefined;
  const off = setting.mayBeOff ? ', or "" for never' : '';
  return `invalid ${setting.key} ${quote(setting.expression)}: expected a cron expression such as "17 4 * * *"${off} (${check.error?.message ?? 'invalid'})`;
}
