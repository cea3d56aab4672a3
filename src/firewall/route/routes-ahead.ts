// Routes of the admin's that win the kernel's lookup over our blackholes: a banned address that the
// live set holds (list --live, doctor count it) is then routed, not dropped. `show ADDRESS` asks the
// kernel itself (ip route get); a listing cannot, so it is read from the routes. Two ways to win:
// - in the main table, where ours are: a route more specific than the blackhole holding it (a LAN's
//   /24 inside a banned /16), or one to the same block with a lower metric;
// - a policy rule looked up before the main table (`ip rule`, a priority below main's) whose table
//   routes a banned address: a route found there ends the lookup, main is never reached.
// Only routes that let packets through count (unicast): blackhole, unreachable and prohibit drop as
// ours do, and throw goes on to the next rule. Pure: the backend hands over what `ip -j` printed.

import type { Cidr, Family, KeySpace } from '../../address/network.js';
import { parseDestination } from './parse.js';

export interface RouteAhead<K> {
  /** The admin's route as ip would print it. */
  readonly route: string;
  /** Ours that it wins over (the most specific holding it). */
  readonly over: Cidr<K>;
}

export interface RuleAhead {
  /** The rule, in words close to `ip rule`'s. */
  readonly rule: string;
  readonly table: string;
}

interface Listed<K> {
  readonly block: Cidr<K>;
  readonly metric: number;
  readonly text: string;
}

/**
 * Routes of the main table (`ip -j route show table main type unicast`) that win over one of ours.
 * `ours`: our blackholes as parseRoutes returns them (sorted by first address, then prefix).
 */
export function mainRoutesAhead<K extends number | bigint>(space: KeySpace<K>, json: string, ours: readonly Cidr<K>[], metric: number): RouteAhead<K>[] {
  const ahead: RouteAhead<K>[] = [];
  for (const route of passingRoutes(space.family, json)) {
    const block = route.block as Cidr<K>;
    const holder = mostSpecificHolder(space, ours, block);
    if (holder && (holder.prefix < block.prefix || route.metric < metric)) ahead.push({ route: route.text, over: holder });
  }
  return ahead;
}

/**
 * The rules (`ip -j rule show`) looked up before the first one that looks up the main table, and
 * that look up a table of their own. The local table's rule (priority 0) is the kernel's.
 */
export function rulesAhead(json: string): RuleAhead[] {
  const rules = parseArray(json, 'ip -j rule') as Array<Record<string, unknown>>;
  const ahead: RuleAhead[] = [];
  for (const rule of rules) {
    const table = rule?.table;
    if (table === 'main') break;
    if (typeof table !== 'string' || table === 'local' || rule.action !== undefined) continue;
    // As `ip rule` prints it: "from all to 192.0.2.0/24 fwmark 0x1 lookup 100".
    const block = (address: unknown, length: unknown) => `${String(address)}${length === undefined ? '' : `/${String(length)}`}`;
    const selectors = [`from ${block(rule.src ?? 'all', rule.srclen)}`, ...(rule.dst === undefined ? [] : [`to ${block(rule.dst, rule.dstlen)}`])];
    for (const [key, value] of Object.entries(rule)) {
      if (!['priority', 'table', 'flags', 'src', 'srclen', 'dst', 'dstlen'].includes(key)) selectors.push(`${key} ${String(value)}`);
    }
    ahead.push({ rule: `${String(rule.priority)}: ${[...selectors, `lookup ${table}`].join(' ')}`, table });
  }
  return ahead;
}

/** Routes of a table a rule ahead looks up (`ip -j route show table T`) that reach one of ours. */
export function tableRoutesAhead<K extends number | bigint>(space: KeySpace<K>, json: string, ours: readonly Cidr<K>[]): string[] {
  return passingRoutes(space.family, json)
    .filter((route) => reaches(space, ours, route.block as Cidr<K>))
    .map((route) => route.text);
}

function passingRoutes(family: Family, json: string): Listed<number | bigint>[] {
  const routes = parseArray(json, 'ip -j route') as Array<Record<string, unknown>>;
  const passing: Listed<number | bigint>[] = [];
  for (const route of routes) {
    if ((route?.type !== undefined && route.type !== 'unicast') || typeof route.dst !== 'string') continue;
    const metric = typeof route.metric === 'number' ? route.metric : 0;
    const words = [route.dst, ...(typeof route.gateway === 'string' ? ['via', route.gateway] : []), ...(typeof route.dev === 'string' ? ['dev', route.dev] : []), ...(metric > 0 ? ['metric', String(metric)] : [])];
    passing.push({ block: parseDestination(family, route.dst), metric, text: words.join(' ') });
  }
  return passing;
}

function parseArray(json: string, what: string): unknown[] {
  const parsed = JSON.parse(json.trim() || '[]') as unknown;
  if (!Array.isArray(parsed)) throw new Error(`unexpected \`${what}\` output: not an array`);
  return parsed;
}

/** The most specific of ours that holds all of `block`, if any: one lookup per prefix length. */
function mostSpecificHolder<K extends number | bigint>(space: KeySpace<K>, ours: readonly Cidr<K>[], block: Cidr<K>): Cidr<K> | undefined {
  for (let prefix = block.prefix; prefix >= 0; prefix--) {
    const first = space.blockFirst(block.first, prefix);
    for (let i = lowerBound(ours, first); i < ours.length && ours[i]!.first === first; i++) {
      if (ours[i]!.prefix === prefix) return ours[i];
    }
  }
  return undefined;
}

/** Whether `block` holds, or is held by, one of ours. */
function reaches<K extends number | bigint>(space: KeySpace<K>, ours: readonly Cidr<K>[], block: Cidr<K>): boolean {
  const inside = lowerBound(ours, block.first);
  return (inside < ours.length && ours[inside]!.first <= block.last) || mostSpecificHolder(space, ours, block) !== undefined;
}

/** The first of `ours` whose first address is at or after `first`. */
function lowerBound<K extends number | bigint>(ours: readonly Cidr<K>[], first: K): number {
  let low = 0;
  let high = ours.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ours[mid]!.first < first) low = mid + 1;
    else high = mid;
  }
  return low;
}
