// Pure halves of the route backend: reading `ip -j route show type blackhole`, writing `ip -batch`
// lines, and reading back which batch lines failed. Tested against pasted real output.

import { formatCidr } from '../../address/format.js';
import type { Cidr, Family } from '../../address/network.js';
import { parseToolBlock } from '../../address/parse.js';

/**
 * Our routes in `ip -j route show type blackhole` output: blackhole routes with our metric, as CIDRs in
 * ascending order. Routes with another metric or type belong to the admin and are not returned.
 */
export function parseRoutes<K extends number | bigint>(json: string, family: Family, metric: number): Cidr<K>[] {
  const routes = JSON.parse(json) as unknown;
  if (!Array.isArray(routes)) throw new Error('unexpected `ip -j route` output: not an array');
  const ours: Cidr<K>[] = [];
  for (const route of routes as Array<Record<string, unknown>>) {
    if (route?.type !== 'blackhole' || route.metric !== metric || typeof route.dst !== 'string') continue;
    ours.push(parseDestination(family, route.dst) as Cidr<K>);
  }
  return ours.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix));
}

/** "default", "192.0.2.1" or "198.51.100.0/24" as `ip` prints a route's destination. */
export function parseDestination(family: Family, dst: string): Cidr<number | bigint> {
  const what = 'route destination in `ip -j route` output';
  return parseToolBlock(family, dst === 'default' ? (family === 4 ? '0.0.0.0/0' : '::/0') : dst, what);
}

export type RouteVerb = 'add' | 'del';

/**
 * One `ip -batch` line. The type narrows a delete to blackhole routes, so no other route is touched.
 * An add is a `replace`: a route with our metric is ours, and one of another type (`dev lo`) would
 * make a plain add fail with "File exists" and leave the address unblocked.
 *
 * The metric comes first: `ip -batch` runs a last line cut short too (its writer killed mid-line,
 * the pipe holding part of a chunk), and "… blackhole 10.2.3.45/32 metric 4242" cut to
 * "… blackhole 10.2.3.4" made a blackhole of metric 0: the admin's to us, never removed, dropping
 * an address no one banned. Cut anywhere now, a line fails or leaves a route of ours, which the
 * next restore (owed by the one killed) takes out: a cut prefix length may make it a wide one
 * ("/24" cut to "/2") until then.
 */
export function routeLine(verb: RouteVerb, family: Family, cidr: Cidr<number | bigint>, metric: number): string {
  // CIDR notation even for a host or /0: `ip` reads the family from the address (no -6 per line).
  const text = cidr.prefix === 0 ? (family === 4 ? '0.0.0.0/0' : '::/0') : formatCidr(family, cidr as Cidr<number> & Cidr<bigint>);
  return `route ${verb === 'add' ? 'replace' : 'del'} metric ${metric} blackhole ${text}\n`;
}

export interface BatchFailure {
  /** 1-based line of the batch. */
  readonly line: number;
  /** What `ip` printed for it. */
  readonly message: string;
}

/**
 * With -force, `ip -batch` goes on after a failed line and prints, per failure, the error and then
 * "Command failed -:N" (N is the line).
 */
export function parseBatchFailures(stderr: string): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const failed = /^Command failed .*:(\d+)$/.exec(line);
    if (failed) {
      failures.push({ line: Number(failed[1]), message: pending.join('; ') });
      pending = [];
    } else if (line) {
      pending.push(line);
    }
  }
  return failures;
}

/**
 * A failure that leaves the routes as wanted: deleting a route that is already gone (ESRCH), or adding
 * one that is already there (EEXIST), e.g. after a racing hook did the same.
 */
export function isHarmless(verb: RouteVerb, message: string): boolean {
  return verb === 'del' ? /No such process/.test(message) : /File exists/.test(message);
}
