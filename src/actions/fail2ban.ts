// What an admin's decision means to the running fail2ban: an unban lifts fail2ban's own ban too
// (else its replay after a restart is the only thing left of it), and a safelisted range goes to the
// ignore list of every running jail, so fail2ban stops banning it and REJECTing it in its own chain.
// The store change comes first and stands whatever fail2ban says; a fail2ban that is not running
// holds no ban and no ignore list to change, which is said, not failed.

import { formatNetwork } from '../address/format.js';
import type { Network } from '../address/network.js';
import type { Fail2banClient } from '../fail2ban/client.js';
import { count } from '../input/plural.js';
import { isParseFailure, tryParseNetwork } from '../address/parse.js';

/** Whether an entry of fail2ban's ignore list is `network` (fail2ban writes it in its own way). */
function sameNetwork(entry: string, network: Network): boolean {
  const parsed = tryParseNetwork(entry);
  return !isParseFailure(parsed) && formatNetwork(parsed) === formatNetwork(network);
}

export interface Fail2banReport {
  /** What fail2ban did, or why nothing was done, in one line. */
  readonly line: string;
  /** fail2ban runs but refused (part of) the change: `line` says what it answered. */
  readonly failed: boolean;
}

export interface Fail2banLift extends Fail2banReport {
  /** Bans fail2ban lifted. */
  readonly lifted: number;
}

/** Lifts fail2ban's own bans of `network` (every address inside a CIDR), in every jail or in `jail`. */
export async function liftInFail2ban(client: Fail2banClient, network: Network, jail?: string): Promise<Fail2banLift> {
  const what = formatNetwork(network);
  const why = await client.notRunning();
  if (why !== undefined) return { line: `fail2ban is not running (${why}): it holds no ban of ${what} to lift`, failed: false, lifted: 0 };
  const where = jail === undefined ? '' : ` in jail ${jail}`;
  try {
    const lifted = await client.unban(what, jail);
    return { line: lifted > 0 ? `fail2ban lifted ${count(lifted, 'ban')} of its own of ${what}${where}` : `fail2ban held no ban of ${what}${where}`, failed: false, lifted };
  } catch (error) {
    return { line: `fail2ban did not lift its own ban of ${what}${where}: ${(error as Error).message}`, failed: true, lifted: 0 };
  }
}

/**
 * Adds `network` to the ignore list of every running jail (`add`) and lifts fail2ban's bans inside
 * it, or takes it out again (`remove`). A change fail2ban makes at run time only: its configuration
 * (jail.local's ignoreip) is the admin's, and a restart of fail2ban reads that again.
 */
export async function syncIgnoreList(client: Fail2banClient, network: Network, change: 'add' | 'remove'): Promise<Fail2banReport> {
  const what = formatNetwork(network);
  const why = await client.notRunning();
  if (why !== undefined) return { line: `fail2ban is not running (${why}): no ignore list to ${change === 'add' ? 'add it to' : 'remove it from'}`, failed: false };
  const problems: string[] = [];
  let jails: string[];
  try {
    jails = await client.jails();
  } catch (error) {
    return { line: `fail2ban's jails could not be listed: ${(error as Error).message}`, failed: true };
  }
  const done: string[] = [];
  for (const jail of jails) {
    try {
      if (change === 'add') await client.addIgnoreIp(jail, what);
      // fail2ban fails a removal of what its list does not hold.
      else if ((await client.ignoredIps(jail)).some((entry) => sameNetwork(entry, network))) await client.delIgnoreIp(jail, what);
      else continue;
      done.push(jail);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  let lifted = 0;
  if (change === 'add' && done.length > 0) {
    try {
      lifted = await client.unban(what);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const list = done.length > 0 ? `jail${done.length === 1 ? '' : 's'} ${done.join(', ')}` : 'no jail';
  const summary =
    jails.length === 0
      ? 'fail2ban runs no jail: no ignore list to change'
      : change === 'add'
        ? `fail2ban ignores ${what} in ${list}${lifted > 0 ? `; ${count(lifted, 'ban')} of its own lifted` : ''}`
        : done.length > 0
          ? `fail2ban no longer ignores ${what} in ${list}`
          : `no jail of fail2ban ignored ${what}`;
  return { line: problems.length > 0 ? `${summary}; ${problems.join('; ')}` : summary, failed: problems.length > 0 };
}
