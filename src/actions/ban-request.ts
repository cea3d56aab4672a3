// A ban as it arrives, from the command line or over the daemon's socket: text fields validated
// before anything is written, by one set of rules for both, so a ban is refused with the same words
// wherever it comes from.

import { parseNetwork } from '../address/parse.js';
import { UsageError } from '../errors.js';
import { parseBanTime, refuseEveryAddress } from '../input/ban-record.js';
import { parseBantime, parseDuration } from '../input/duration.js';
import { parseFlag, parseJail, parseNote, parseSource } from '../input/names.js';
import { uuidFromText } from '../store/ids.js';
import { quote } from '../input/quote.js';
import { describeConflict, lockoutConflict, protectedNetworks } from './lockout.js';
import type { BanRequest } from './ban.js';

/** The fields of a ban as text, named as the CLI's options are. */
export interface BanFields {
  readonly jail?: string;
  readonly bantime?: string;
  readonly reason?: string;
  readonly source?: string;
  readonly restored?: string;
  /** fail2ban's <time>: when it began the ban (a replay's original time). */
  readonly time?: string;
  /** A temporary ban: it stops blocking after this long (`ban --duration 2h`). */
  readonly duration?: string;
  /** The event's id (a UUID): the fail2ban action gives one, so a ban it hands over twice is one event. */
  readonly eventId?: string;
  readonly force?: boolean;
}

/** Validates every field: bad input is an invalid-kind error, and nothing has been written. */
export function parseBanRequest(address: string, fields: BanFields): BanRequest {
  // Two lengths for one ban: the store would record fail2ban's (forever, say) beside an end that says otherwise.
  if (fields.duration !== undefined && fields.bantime !== undefined) {
    throw new UsageError(`--duration ${quote(fields.duration)} and --bantime ${quote(fields.bantime)} both give the ban's length: expected one of them (--duration for a temporary ban, --bantime for fail2ban's)`);
  }
  return {
    network: parseNetwork(address),
    jail: fields.jail === undefined ? 'manual' : parseJail(fields.jail),
    bantime: fields.bantime === undefined ? null : parseBantime(fields.bantime),
    source: fields.source === undefined ? 'manual' : parseSource(fields.source),
    reason: fields.reason === undefined ? null : parseNote(fields.reason, 'reason') || null,
    restored: fields.restored === undefined ? false : parseFlag(fields.restored, '--restored'),
    ...(fields.time === undefined ? {} : { bannedAt: parseBanTime(fields.time, '--time') }),
    ...(fields.duration === undefined ? {} : { duration: parseDuration(fields.duration, '--duration') }),
    ...(fields.eventId === undefined ? {} : { uuid: parseEventId(fields.eventId) }),
  };
}

/**
 * Refuses what would do harm: a /0, and without `force` a ban that would lock the admin out
 * (loopback, this host, the SSH client of `env`).
 */
export function refuseHarmful(request: BanRequest, force: boolean, env: NodeJS.ProcessEnv): void {
  refuseEveryAddress(request.network);
  if (force) return;
  const conflict = lockoutConflict(request.network, protectedNetworks(env));
  if (conflict) throw new UsageError(describeConflict(request.network, conflict));
}

function parseEventId(text: string): Buffer {
  const uuid = uuidFromText(text.toLowerCase());
  if (uuid === undefined) throw new UsageError(`invalid --event-id ${quote(text)}: expected a UUID such as 0190a6b2-5f3c-7d6e-8a9b-0c1d2e3f4a5b`);
  return uuid;
}
