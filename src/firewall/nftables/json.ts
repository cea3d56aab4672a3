// Reads `nft -j list ...` output (JSON schema version 1, nft 1.0.x) into plain values. Pure and
// tested against pasted real output (test/unit/firewall/nftables/json.test.ts).

import type { Family, Range } from '../../address/network.js';
import { parseToolBlock } from '../../address/parse.js';

export interface NftSetState {
  readonly name: string;
  readonly type: string;
  readonly flags: readonly string[];
  /** Elements as ranges; empty for a type other than ipv4_addr/ipv6_addr. */
  readonly elements: Range<number | bigint>[];
}

export interface NftChainState {
  readonly name: string;
  /** Base chains only: type, hook, priority, policy. */
  readonly type?: string;
  readonly hook?: string;
  readonly prio?: number;
  readonly policy?: string;
}

export interface NftRuleState {
  readonly chain: string;
  /** The rule in nft notation when it is a plain "<proto> saddr @set <verdict>", else undefined. */
  readonly text: string | undefined;
  /** What its last statement decides, when that is a verdict (accept, drop, return, jump, ...). */
  readonly verdict?: string;
  /** Its handle, which names it to `nft delete rule`. */
  readonly handle?: number;
}

/**
 * A table's flags: those nft names, or `unnamed` when it printed something else (nft 1.0.6 prints
 * garbage for them in JSON, but only for a table that has some). stickyban sets none.
 */
export type NftTableFlags = readonly string[] | 'unnamed';

export interface NftTableState {
  readonly flags: NftTableFlags;
  readonly sets: NftSetState[];
  readonly chains: NftChainState[];
  readonly rules: NftRuleState[];
}

type Json = Record<string, unknown>;

/** Parses `nft -j list table <family> <name>`. */
export function parseTable(json: string): NftTableState {
  const sets: NftSetState[] = [];
  const chains: NftChainState[] = [];
  const rules: NftRuleState[] = [];
  let flags: NftTableFlags = [];
  for (const item of objects(json)) {
    if (isObject(item.set)) sets.push(parseSet(item.set));
    else if (isObject(item.chain)) chains.push(parseChain(item.chain));
    else if (isObject(item.rule)) rules.push(parseRule(item.rule));
    else if (isObject(item.table)) flags = tableFlags(item.table);
  }
  return { flags, sets, chains, rules };
}

const TABLE_FLAGS = new Set(['dormant', 'owner', 'persist']);

function tableFlags(table: Json): NftTableFlags {
  const { flags } = table;
  if (flags === undefined) return [];
  const named = Array.isArray(flags) ? flags : [flags];
  return named.every((flag) => typeof flag === 'string' && TABLE_FLAGS.has(flag)) ? (named as string[]) : 'unnamed';
}

/** Parses `nft -j list set <family> <table> <name>`: that one set. */
export function parseSetListing(json: string): NftSetState | undefined {
  const item = objects(json).find((entry) => isObject(entry.set));
  return item ? parseSet(item.set as Json) : undefined;
}

/** The chains of one table in `nft -j list chains <family>`, with their hook settings. */
export function parseTableChains(json: string, table: string): NftChainState[] {
  return objects(json)
    .map((item) => item.chain)
    .filter(isObject)
    .filter((chain) => String(chain.table) === table)
    .map(parseChain);
}

function parseSet(set: Json): NftSetState {
  const type = String(set.type);
  const family: Family | undefined = type === 'ipv4_addr' ? 4 : type === 'ipv6_addr' ? 6 : undefined;
  const elem = Array.isArray(set.elem) ? set.elem : [];
  return {
    name: String(set.name),
    type,
    flags: Array.isArray(set.flags) ? set.flags.map(String) : [],
    elements: family === undefined ? [] : elem.map((value) => parseElement(family, value)),
  };
}

function parseChain(chain: Json): NftChainState {
  return {
    name: String(chain.name),
    ...(typeof chain.type === 'string' ? { type: chain.type } : {}),
    ...(typeof chain.hook === 'string' ? { hook: chain.hook } : {}),
    ...(typeof chain.prio === 'number' ? { prio: chain.prio } : {}),
    ...(typeof chain.policy === 'string' ? { policy: chain.policy } : {}),
  };
}

const VERDICTS = ['accept', 'drop', 'reject', 'return', 'continue', 'jump', 'goto', 'queue'];

function parseRule(rule: Json): NftRuleState {
  const last = Array.isArray(rule.expr) ? (rule.expr as unknown[]).at(-1) : undefined;
  const verb = isObject(last) ? Object.keys(last) : [];
  const verdict = verb.length !== 1 ? undefined : verb[0] === 'vmap' ? mappedVerdict((last as Json).vmap) : VERDICTS.includes(verb[0]!) ? verb[0] : undefined;
  return {
    chain: String(rule.chain),
    text: ruleText(rule.expr),
    ...(verdict === undefined ? {} : { verdict }),
    ...(typeof rule.handle === 'number' ? { handle: rule.handle } : {}),
  };
}

/**
 * A verdict map's verdict, as one word: "vmap" when it may let a packet go on (an accept, return,
 * jump or goto among its verdicts, or a named map, whose contents change), else the one it always
 * gives (drop), or undefined.
 */
function mappedVerdict(vmap: unknown): string | undefined {
  const data = isObject(vmap) ? vmap.data : undefined;
  if (typeof data === 'string') return 'vmap';
  const pairs = isObject(data) && Array.isArray(data.set) ? (data.set as unknown[]) : [];
  const verdicts = pairs.flatMap((pair) => (Array.isArray(pair) && isObject(pair[1]) ? Object.keys(pair[1]) : []));
  return verdicts.some((verdict) => PASSING.includes(verdict)) ? 'vmap' : verdicts[0];
}

/** Verdicts after which a packet may never meet a later rule of the chain. */
const PASSING = ['accept', 'return', 'jump', 'goto'];

/** "ip saddr @v4 drop" for a rule of exactly a source-set match and a verdict; undefined otherwise. */
function ruleText(expr: unknown): string | undefined {
  if (!Array.isArray(expr) || expr.length !== 2) return undefined;
  const [match, verdict] = expr as unknown[];
  if (!isObject(match) || !isObject(match.match) || !isObject(verdict)) return undefined;
  const { op, left, right } = match.match;
  const payload = isObject(left) ? left.payload : undefined;
  if (op !== '==' || !isObject(payload) || payload.field !== 'saddr' || typeof right !== 'string' || !right.startsWith('@')) return undefined;
  const verb = Object.keys(verdict);
  if (verb.length !== 1 || verdict[verb[0]!] !== null) return undefined;
  return `${String(payload.protocol)} saddr ${right} ${verb[0]}`;
}

/**
 * One element: "192.0.2.1", {"prefix": {"addr", "len"}}, {"range": [from, to]}, or any of these
 * wrapped in {"elem": {"val": ...}} when it carries a timeout or a comment.
 */
export function parseElement(family: Family, value: unknown): Range<number | bigint> {
  const what = 'address in nft output';
  const range = ({ first, last }: Range<number | bigint>): Range<number | bigint> => ({ first, last });
  if (typeof value === 'string') return range(parseToolBlock(family, value, what));
  if (isObject(value)) {
    if (isObject(value.elem)) return parseElement(family, value.elem.val);
    if (isObject(value.prefix) && typeof value.prefix.addr === 'string' && typeof value.prefix.len === 'number') {
      return range(parseToolBlock(family, `${value.prefix.addr}/${value.prefix.len}`, what));
    }
    if (Array.isArray(value.range) && value.range.length === 2 && value.range.every((end) => typeof end === 'string')) {
      return { first: parseToolBlock(family, value.range[0] as string, what).first, last: parseToolBlock(family, value.range[1] as string, what).first };
    }
  }
  throw new Error(`unexpected nft set element ${JSON.stringify(value)}`);
}

function objects(json: string): Json[] {
  const parsed = JSON.parse(json) as unknown;
  const list = isObject(parsed) ? parsed.nftables : undefined;
  if (!Array.isArray(list)) throw new Error('unexpected nft JSON output: no "nftables" array');
  return list.filter(isObject);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
