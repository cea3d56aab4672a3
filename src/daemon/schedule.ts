import { CronJob } from 'cron';
import { UsageError } from '../errors.js';
import { cronProblem, isOff, type ScheduleSetting } from '../config/schedules.js';

export interface Schedule {
  stop(): void;
  /** When the job runs next, for the log. */
  next(): Date;
}

/**
 * Runs `onTick` on the setting's cron expression (local time, as system cron does); undefined when
 * it is off. A bad expression (named by its config key) is invalid input.
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

