// What an import says: the summary line, one line per problem, the JSON form, and a note when the
// policy will not block what a list brought in. Pure, so the wording is decided in one place.

import { feedsPolicy, type Policy } from '../config/config.js';
import { quote } from '../input/quote.js';
import type { LiveOutcome } from '../actions/apply-import.js';
import type { ImportFormat } from './formats.js';
import type { ImportResult, Problem } from './importer.js';
import { count } from '../input/plural.js';

export const LISTS: readonly ImportFormat[] = ['plain', 'iptables-save'];

/** "imported list.txt (plain): 593 lines read, 582 bans found: 220 added, 362 duplicates, 3 invalid". */
export function summaryLine(name: string, format: ImportFormat, result: ImportResult): string {
  const what = format === 'fail2ban-db' ? 'row' : 'line';
  const parts = [`${result.added} added`, count(result.duplicates, 'duplicate'), `${result.invalid} invalid`];
  if (result.ignored > 0) parts.push(`${result.ignored} ignored`);
  return `imported ${name} (${format}): ${count(result.read, what)} read, ${count(result.found, 'ban')} found: ${parts.join(', ')}`;
}

/** `line 9: "999.1.1.1": invalid address: …` or `bans rowid 12: "sshd 999.1.1.1": …`. */
export function describeProblem(problem: Problem): string {
  const where = typeof problem.at === 'number' ? `line ${problem.at}` : problem.at;
  return `${where}: ${quote(problem.text)}: ${problem.error}`;
}

/** "line"/"lines" or "row"/"rows", after the kind of location. */
export function problemUnit(problem: Problem | undefined, count: number): string {
  const word = problem === undefined || typeof problem.at === 'number' ? 'line' : 'row';
  return count === 1 ? word : `${word}s`;
}

/** A list's entries are one ban each under one jail: says so when the policy will not block them. */
export function policyNote(format: ImportFormat, jail: string, policy: Policy): string | undefined {
  if (!LISTS.includes(format)) return undefined;
  if (!feedsPolicy(policy, jail)) {
    return `the policy blocks bans of ${policy.jails.join(', ')} only: the entries recorded under jail ${jail} are not blocked (import them with --jail ${policy.jails[0]})`;
  }
  if (policy.minBans > 1) return `the policy blocks an address after ${policy.minBans} bans: the imported entries count one each and are not blocked yet`;
  return undefined;
}

export function summaryJson(name: string, format: ImportFormat, result: ImportResult, live: LiveOutcome, note: string | undefined): Record<string, unknown> {
  const listed = (problems: Problem[]) =>
    problems.map((problem) => ({ ...(typeof problem.at === 'number' ? { line: problem.at } : { row: problem.at }), text: problem.text, error: problem.error }));
  return {
    file: name,
    format,
    source: `import:${format}`,
    read: result.read,
    found: result.found,
    added: result.added,
    duplicates: result.duplicates,
    invalid: result.invalid,
    ignored: result.ignored,
    invalid_lines: listed(result.problems),
    ignored_lines: listed(result.ignoredLines),
    live,
    ...(note === undefined ? {} : { note }),
  };
}
