import { CronJob, validateCronExpression } from 'cron';
import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';

export interface Schedule {
  stop(): void;
  /** When the job runs next, for the log. */
  next(): Date;
}

/** Runs `onTick` on a cron expression (local time, as system cron does); a bad expression (named by its config key) is exit 2. */
export function schedule(expression: string, key: string, onTick: () => void): Schedule {
  const problem = cronProblem(expression, key);
  if (problem !== undefined) throw new UsageError(problem);
  const job = CronJob.from({ cronTime: expression, onTick, start: true });
  return {
    stop: () => void job.stop(),
    next: () => job.nextDate().toJSDate(),
  };
}

/** What is wrong with a cron expression, or undefined; `doctor` asks too, since only the daemon reads it. */
export function cronProblem(expression: string, key: string): string | undefined {
  const check = validateCronExpression(expression);
  if (check.valid) return undefined;
  return `invalid ${key} ${quote(expression)}: expected a cron expression such as "17 4 * * *" (${check.error?.message ?? 'invalid'})`;
}
