import { CronJob, validateCronExpression } from 'cron';
import type { Config } from '../config/config.js';
import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';

export interface Schedule {
  stop(): void;
  /** When the job runs next, for the log. */
  next(): Date;
}

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

/**
 * Runs `onTick` on the setting's cron expression (local time, as system cron does); undefined when
 * it is off. A bad expression (named by its config key) is exit 2.
 */
export function schedule(setting: ScheduleSetting, onTick: () => void): Schedule | undefined {
  if (isOff(setting)) return undefined;
  const problem = cronProblem(setting);
  if (problem !== undefined) throw new UsageError(problem);
  const job = CronJob.from({ cronTime: setting.expression, onTick, start: true });
  return {
    stop: () => void job.stop(),
    next: () => job.nextDate().toJSDate(),
  };
}

/** What is wrong with a setting that is not off, or undefined. */
export function cronProblem(setting: ScheduleSetting): string | undefined {
  const check = validateCronExpression(setting.expression);
  if (check.valid) return undefined;
  const off = setting.mayBeOff ? ', or "" for never' : '';
  return `invalid ${setting.key} ${quote(setting.expression)}: expected a cron expression such as "17 4 * * *"${off} (${check.error?.message ?? 'invalid'})`;
}
