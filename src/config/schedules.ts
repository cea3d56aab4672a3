// The daemon's cron schedules as the config gives them, and what is wrong with one: the daemon
// schedules them (daemon/schedule.ts) and doctor checks them, since only the daemon reads them.

import { CronTime, validateCronExpression } from 'cron';
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
  const off = setting.mayBeOff ? ', or "" for never' : '';
  const expected = `a cron expression such as "17 4 * * *"${off}`;
  const what = `invalid ${setting.key} ${quote(setting.expression)}`;
  const range = rangeProblem(setting.expression);
  if (range !== undefined) return `${what}: ${range} (${expected})`;
  const check = validateCronExpression(setting.expression);
  if (!check.valid) return `${what}: expected ${expected} (${check.error?.message ?? 'invalid'})`;
  // Well formed, but maybe no date matches it (February 31st): the timer could never be set.
  try {
    new CronTime(setting.expression).sendAt();
  } catch {
    return `${what}: no date matches it (expected ${expected})`;
  }
  return undefined;
}

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const SECOND: CronField = { name: 'second', min: 0, max: 59 };
const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 7, names: DAYS },
];
/** One item of a field's list: *, a value or a range, and a step. */
const ITEM = /^(?:\*|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/(\d+))?$/i;

/**
 * A value or step out of its field's range. The cron package lets a step through whatever its size
 * (every 61 minutes runs at minute 0 only, which no one means), so each field is checked here, as
 * system cron checks it. What this does not read (an alias, a syntax error) is left to the package.
 */
function rangeProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  const fields = parts.length === 6 ? [SECOND, ...FIELDS] : parts.length === 5 ? FIELDS : undefined;
  if (fields === undefined) return undefined;
  for (const [i, field] of fields.entries()) {
    for (const item of parts[i]!.split(',')) {
      const match = ITEM.exec(item);
      if (!match) continue;
      const [, first, last, step] = match;
      for (const text of [first, last]) {
        if (text === undefined) continue;
        const value = valueOf(field, text);
        if (value !== undefined && (value < field.min || value > field.max)) return `the ${field.name} field's value ${value} is out of range: expected ${field.min} to ${field.max}`;
      }
      if (step !== undefined && (Number(step) < 1 || Number(step) > field.max)) return `the ${field.name} field's step ${Number(step)} is out of range: expected 1 to ${field.max}`;
    }
  }
  return undefined;
}

/** A field's value written as a number or a name (jan, mon); undefined for what is neither. */
function valueOf(field: CronField, text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  return index < 0 ? undefined : index + (field.name === 'month' ? 1 : 0);
}
