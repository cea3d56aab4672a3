// What a format's parser makes of one line (or one database row). Parsers are pure: no store, no
// clock, no I/O; the importer turns candidates into ban events.

import type { Network } from '../address/network.js';

/** A ban found in the input. Fields a format does not know are filled in by the importer. */
export interface Candidate {
  readonly network: Network;
  /** The jail that banned it; lists have none (the importer uses --jail). */
  readonly jail?: string;
  /** Unix seconds; lists have none (the time of the import is used). */
  readonly bannedAt?: number;
  /** Seconds, -1 forever, null unknown; lists have none. */
  readonly bantime?: number | null;
  /** fail2ban replayed the ban after a restart (a `Restore Ban` line): not a new offence. */
  readonly restored?: boolean;
  readonly reason?: string | null;
  /**
   * What tells this event apart from other events of the same jail and address in this format (a
   * log line's time and kind, a row's timeofban); empty for lists, where an address is banned once.
   */
  readonly identity: string;
}

/** The line is meant to be a ban but cannot be one; `error` says why, for a human. */
export interface Rejected {
  readonly error: string;
}

/** A line of the format that is deliberately not a ban (another rule of the chain); listed with --verbose. */
export interface Ignored {
  readonly ignored: string;
}

/** undefined: nothing to see (blank, comment, another chain, a log line that is not a ban). */
export type LineOutcome = Candidate | Rejected | Ignored | undefined;

export function isCandidate(outcome: LineOutcome): outcome is Candidate {
  return outcome !== undefined && !('error' in outcome) && !('ignored' in outcome);
}

export function isRejected(outcome: LineOutcome): outcome is Rejected {
  return outcome !== undefined && 'error' in outcome;
}

export function isIgnored(outcome: LineOutcome): outcome is Ignored {
  return outcome !== undefined && 'ignored' in outcome;
}
