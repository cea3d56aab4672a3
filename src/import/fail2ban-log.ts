// fail2ban's own log (logtarget, INFO or more verbose):
//   2026-11-21 09:18:46,135 fail2ban.actions        [31395]: NOTICE  [sshd] Ban 2001:db8:9f0b:3129::14
//   2026-11-21 09:33:02,511 fail2ban.actions        [31790]: NOTICE  [sshd] Restore Ban 192.0.2.205
// `Ban` is an offence; `Restore Ban` is fail2ban replaying a ban after a restart, recorded with
// restored=1 so it does not count as a new one. `Unban` lines (expiry, stop) do not lift anything:
// the permanent list is exactly what outlives fail2ban's own bantime.
// Times are the host's local time, as Python's logging writes them.

import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { isBanTime } from '../input/ban-record.js';
import { isJailName } from '../input/names.js';
import type { LineOutcome } from './outcome.js';
import type { LineParser } from './parser.js';

// Older versions log "fail2ban.actions: WARNING [ssh] Ban …" (no pid, WARNING); both are accepted.
const BAN_LINE =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(,\d{1,6})? +fail2ban\.[\w.]+ *(?:\[\d+\])?: +[A-Z]+ +\[([^\]]*)\] +(Restore )?Ban +(\S+) *$/;
const LOG_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(,\d{1,6})? +fail2ban\./;
/** The start of a ban line: one that goes on otherwise than BAN_LINE says is broken, not noise. */
const BAN_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(,\d{1,6})? +fail2ban\.[\w.]+ *(?:\[\d+\])?: +[A-Z]+ +\[[^\]]*\] +(Restore )?Ban /;

export class Fail2banLogParser implements LineParser {
  private looksRight = false;
  private empty = true;

  parse(line: string): LineOutcome {
    if (!this.looksRight) {
      this.looksRight = LOG_LINE.test(line);
      if (this.empty) this.empty = line.trim() === '';
    }
    // Most lines are Found/Unban/info lines: a substring test skips them before the regex runs.
    if (!line.includes('Ban ')) return undefined;
    return parseLogLine(line);
  }

  finish(file: string): void {
    // An empty log (just rotated) holds no bans; any other text must look like fail2ban's.
    if (!this.looksRight && !this.empty) {
      throw new UsageError(`${file} is not a fail2ban log: no line starts like "2026-11-21 09:18:46,135 fail2ban.…" (fail2ban's logtarget, e.g. /var/log/fail2ban.log)`);
    }
  }
}

export function parseLogLine(line: string): LineOutcome {
  const match = BAN_LINE.exec(line);
  if (!match) return BAN_START.test(line) ? { error: 'a ban line that does not end with one address (expected "… [JAIL] Ban ADDRESS")' } : undefined;
  const [, year, month, day, hour, minute, second, fraction, jail, restore, address] = match as unknown as string[];
  if (!isJailName(jail!)) return { error: `invalid jail name ${quote(jail!)}` };
  const network = tryParseNetwork(address!);
  if (isParseFailure(network)) return { error: `invalid address ${quote(address!)}: ${network.error}` };
  // setFullYear, not the constructor: that takes years 0-99 for 1900-1999.
  const time = new Date(2000, 0, 1, Number(hour), Number(minute), Number(second));
  time.setFullYear(Number(year), Number(month) - 1, Number(day));
  if (time.getMonth() !== Number(month) - 1 || time.getDate() !== Number(day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) {
    return { error: `invalid time ${quote(`${year}-${month}-${day} ${hour}:${minute}:${second}`)}` };
  }
  const bannedAt = Math.floor(time.getTime() / 1000);
  if (!isBanTime(bannedAt)) return { error: `invalid time ${quote(`${year}-${month}-${day} ${hour}:${minute}:${second}`)}: before 1970` };
  const restored = restore !== undefined;
  return {
    network,
    jail,
    bannedAt,
    bantime: null,
    restored,
    // The line's own time text (not the parsed number): the same line gives the same id whatever the time zone.
    identity: `${year}-${month}-${day} ${hour}:${minute}:${second}${fraction ?? ''} ${restored ? 'restore' : 'ban'}`,
  };
}
