// The rules are static: one set-match rule in our chain and one jump to the chain from each hook
// chain. Only set contents change, so configuration management sees no drift. Planning what to add
// or remove is a pure function of `iptables -S`, tested against real output.

import type { Family } from '../../address/network.js';
import { ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';

export interface RuleWanted {
  /** Our chain, e.g. Blocklist. */
  readonly chain: string;
  /** The set whose sources the chain drops. */
  readonly set: string;
  /** Chains that must jump to ours, e.g. INPUT (and FORWARD). */
  readonly hookChains: readonly string[];
}

export interface RuleRepair {
  /** Its lines of `iptables-restore` input. */
  readonly lines: readonly string[];
  /** The rule or chain it is about, e.g. "jump from INPUT to Blocklist". */
  readonly what: string;
  /** What is wrong with it. */
  readonly problem: 'missing' | 'duplicated';
  /** One line for the log: what this repairs. */
  readonly why: string;
}

export interface RulePlan {
  /** Applied together, in one `iptables-restore --noflush` transaction. */
  readonly repairs: RuleRepair[];
  /**
   * Hook chains that do not exist (yet), such as DOCKER-USER before Docker starts: nothing can jump
   * from them. They are skipped, not an error; the next restore adds the jump once they exist.
   */
  readonly absentHooks: string[];
  /**
   * The admin's rules that let packets past our drop before it sees them (see rulesAhead): doctor
   * warns, nothing is changed. The chain they are in, and the rule as `iptables -S` prints it.
   */
  readonly shadowing: Array<{ readonly chain: string; readonly rule: string; readonly passes: Passes }>;
}

export function matchSpec(set: string): string[] {
  return ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP'];
}

/**
 * What makes the table hold our chain, exactly one match rule in it and exactly one jump from each
 * hook chain. The admin's own rules, in our chain or elsewhere, are left as they are; a missing rule
 * is inserted first in the chain so a trailing RETURN cannot shadow it.
 */
export function planRules(listing: string, wanted: RuleWanted): RulePlan {
  const lines = listing.split('\n').map((line) => line.trim());
  const count = (chain: string, spec: string[]): number => lines.filter((line) => line === `-A ${chain} ${spec.join(' ')}`).length;
  const exists = (chain: string): boolean => lines.includes(`-N ${chain}`) || lines.some((line) => line.startsWith(`-P ${chain} `));
  const repairs: RuleRepair[] = [];
  const chainExists = exists(wanted.chain);
  // Declared only when missing: iptables-restore flushes a chain it is told to declare.
  if (!chainExists) repairs.push({ lines: [`:${wanted.chain} - [0:0]`], what: `chain ${wanted.chain}`, problem: 'missing', why: `created chain ${wanted.chain}` });

  const match = matchSpec(wanted.set);
  const matches = chainExists ? count(wanted.chain, match) : 0;
  repairs.push(...exactlyOnce(wanted.chain, match, matches, `rule ${match.join(' ')} in ${wanted.chain}`));
  // Where a rule is missing or duplicated, the one put back goes first: nothing is ahead of it.
  const shadowing = matches === 1 ? rulesAhead(lines, wanted.chain, match, true) : [];
  const absentHooks: string[] = [];
  for (const hook of wanted.hookChains) {
    if (!exists(hook)) {
      absentHooks.push(hook);
      continue;
    }
    const jump = ['-j', wanted.chain];
    const jumps = count(hook, jump);
    repairs.push(...exactlyOnce(hook, jump, jumps, `jump from ${hook} to ${wanted.chain}`));
    if (jumps === 1) shadowing.push(...rulesAhead(lines, hook, jump, false));
  }
  return { repairs, absentHooks, shadowing };
}

/**
 * How much of what reaches a rule of the admin's it lets past the drop: all of it, or what the rule
 * matches; or what it matches may be, through a chain listRules left unread.
 */
export type Passes = 'every packet' | 'what it matches' | 'not known';

/**
 * The admin's rules ahead of `spec` in `chain` that let packets past the drop: an ACCEPT or
 * RETURN, or a jump or goto to a chain of theirs that accepts (followed through the chains it
 * jumps to). In our chain any of them (what stickyban must let through is the safelist's to say);
 * in a hook chain all but the conditional accepts a firewall is built of (the loopback, packets
 * of connections already accepted). A rule that matches nothing but its comment passes every packet.
 */
function rulesAhead(lines: readonly string[], chain: string, spec: string[], inOurChain: boolean): Array<{ chain: string; rule: string; passes: Passes }> {
  const prefix = `-A ${chain} `;
  const at = lines.indexOf(`${prefix}${spec.join(' ')}`);
  // A hook chain's policy is what a packet meets when a chain it went to (-g) ends without a verdict.
  const policy = /^-P \S+ (\S+)$/.exec(lines.find((line) => line.startsWith(`-P ${chain} `)) ?? '')?.[1];
  const found: Array<{ chain: string; rule: string; passes: Passes }> = [];
  for (const line of lines.slice(0, Math.max(at, 0))) {
    if (!line.startsWith(prefix)) continue;
    const rule = parseRule(line);
    if (rule === undefined || (!inOurChain && ROUTINE.some((routine) => routine.test(rule.conditions)))) continue;
    // Nothing gets past a drop of every packet: what is after it, ours included, sees none.
    if (rule.conditions === '' && ENDS.has(rule.target)) break;
    const passes = rulePasses(lines, rule, new Set([chain]), !inOurChain, inOurChain ? undefined : policy);
    if (passes !== undefined) found.push({ chain, rule: line, passes });
  }
  return found;
}

/** Conditional accepts a firewall is built of, ahead of our jump: the loopback, packets of connections already accepted. */
const ROUTINE = [/^-i lo$/, /^-m (state|conntrack) --(state|ctstate) (ESTABLISHED|RELATED,ESTABLISHED|ESTABLISHED,RELATED)$/];
/** Targets that end a packet's way, and those that let it past ours. */
const ENDS = new Set(['DROP', 'REJECT']);
const LETS_PAST = new Set(['ACCEPT', 'RETURN']);

/** A rule as `iptables -S` prints it: what it matches (its comment left out: it matches every packet), where it sends a packet, and how (-g: not to come back). */
function parseRule(line: string): { conditions: string; target: string; goes: boolean } | undefined {
  const rule = line.slice(line.indexOf(' ', 3) + 1).replace(/(^| )-m comment --comment ("(?:[^"\\]|\\.)*"|\S+)/g, '');
  const match = /(?:^| )(-j|-g) (\S+)(?: .*)?$/.exec(rule);
  return match ? { conditions: rule.slice(0, match.index).trim(), target: match[2]!, goes: match[1] === '-g' } : undefined;
}

/**
 * What a rule lets past the drop: an ACCEPT or RETURN what it matches (every packet when it
 * matches everything); a jump or goto to a user chain what that chain accepts, no more than the
 * rule matches, and, for a goto from a hook chain whose policy is ACCEPT, what that chain lets
 * reach its end (the packet then meets the policy, never our jump). `seen`: the chains on the way,
 * so that a loop ends; `skipRoutine`: ahead of our jump, where the loopback's and established
 * connections' accepts are how a firewall is built.
 */
function rulePasses(lines: readonly string[], rule: { conditions: string; target: string; goes: boolean }, seen: ReadonlySet<string>, skipRoutine: boolean, policy?: string): Passes | undefined {
  const scope: Passes = rule.conditions === '' ? 'every packet' : 'what it matches';
  if (LETS_PAST.has(rule.target)) return scope;
  // What a chain past listRules' budget lets through is not known: not taken for nothing.
  if (lines.includes(`${UNREAD}${rule.target}`)) return 'not known';
  if (seen.has(rule.target) || !lines.includes(`-N ${rule.target}`)) return undefined;
  const inner = chainOutcome(lines, rule.target, new Set([...seen, rule.target]), skipRoutine);
  const passes = rule.goes && policy === 'ACCEPT' && !inner.ends ? 'every packet' : inner.passes;
  return passes === undefined || passes === 'not known' ? passes : scope === 'every packet' ? passes : 'what it matches';
}

/**
 * What a chain of the admin's does with the packets that enter it, its rules in order: what it
 * accepts of them (every one, some, none), and whether every one meets a verdict in it (`ends`:
 * a drop or an accept of everything, in it or below it), none coming out of its end. A RETURN
 * sends a packet back where it came from: on to our jump or drop.
 */
function chainOutcome(lines: readonly string[], chain: string, seen: ReadonlySet<string>, skipRoutine: boolean): { passes: Passes | undefined; ends: boolean } {
  let passes: Passes | undefined;
  for (const line of lines) {
    if (!line.startsWith(`-A ${chain} `)) continue;
    const rule = parseRule(line);
    if (rule === undefined || (skipRoutine && ROUTINE.some((routine) => routine.test(rule.conditions)))) continue;
    const everything = rule.conditions === '';
    if (rule.target === 'RETURN') {
      if (everything) return { passes, ends: false };
      continue;
    }
    if (ENDS.has(rule.target)) {
      if (everything) return { passes, ends: true };
      continue;
    }
    const inner = rule.target === 'ACCEPT' ? (everything ? 'every packet' : 'what it matches') : rulePasses(lines, { ...rule, goes: false }, seen, skipRoutine);
    if (inner === 'every packet') return { passes: inner, ends: true };
    passes ??= inner;
  }
  return { passes, ends: false };
}

/**
 * Exactly one copy. A missing one is inserted first in the chain; a single one stays where it is;
 * duplicates are all deleted and one copy inserted first again, in the same transaction: deleting
 * by position could hit another rule if one were inserted meanwhile (as fail2ban does in INPUT),
 * and deleting by content takes the earliest copy, which would leave a later one, perhaps behind an
 * ACCEPT.
 */
function exactlyOnce(chain: string, spec: string[], present: number, what: string): RuleRepair[] {
  const insert = `-I ${chain} 1 ${spec.join(' ')}`;
  if (present === 0) return [{ lines: [insert], what, problem: 'missing', why: `added ${what}` }];
  if (present === 1) return [];
  const deletes = Array.from({ length: present }, () => `-D ${chain} ${spec.join(' ')}`);
  return [{ lines: [...deletes, insert], what, problem: 'duplicated', why: `removed ${present - 1} duplicate ${what} (one kept, first in ${chain})` }];
}

/**
 * What takes our rule out of the table: every copy of the set-match rule, and when the chain holds
 * nothing else (the admin's own rules keep it and its jumps), every jump to it and the chain.
 */
export function planRetire(listing: string, wanted: Pick<RuleWanted, 'chain' | 'set'>): string[] {
  const lines = listing.split('\n').map((line) => line.trim());
  const match = `-A ${wanted.chain} ${matchSpec(wanted.set).join(' ')}`;
  const deletes = lines.filter((line) => line === match).map((line) => `-D${line.slice(2)}`);
  if (deletes.length === 0 || !lines.includes(`-N ${wanted.chain}`)) return deletes;
  if (lines.some((line) => line.startsWith(`-A ${wanted.chain} `) && line !== match)) return deletes;
  // Every rule that jumps or goes to the chain, whatever it matches first (-i eth0 …), or -X fails.
  const jumps = lines.filter((line) => /^-A \S+ /.test(line) && (line.endsWith(` -j ${wanted.chain}`) || line.endsWith(` -g ${wanted.chain}`))).map((line) => `-D${line.slice(2)}`);
  return [...deletes, ...jumps, `-X ${wanted.chain}`];
}

/** Applies iptables-restore lines to the filter table of one family in one --noflush transaction. */
export async function applyRuleLines(runner: Runner, family: Family, lines: readonly string[], context: string): Promise<void> {
  if (lines.length === 0) return;
  const binary = iptablesBinary(family);
  await runner(`${binary}-restore`, ['-w', '--noflush'], { input: `*filter\n${lines.join('\n')}\nCOMMIT\n`, context: `${binary}: ${context}` });
}

export function iptablesBinary(family: Family): string {
  return family === 4 ? 'iptables' : 'ip6tables';
}

/** `iptables -S` (or ip6tables) of the whole filter table: what retiring a chain must see (every jump to it). */
export async function listTable(runner: Runner, family: Family): Promise<string> {
  const binary = iptablesBinary(family);
  return (await runner(binary, ['-w', '-t', 'filter', '-S'], { context: `reading ${binary} rules` })).stdout;
}

/** What iptables says of a chain it does not have (iptables-nft 1.8.9 calls it incompatible). */
const NO_SUCH_CHAIN = /No chain\/target\/match by that name|chain `[^']*' in table `filter' is incompatible/;

/**
 * `iptables -S CHAIN` of our chain and each hook chain, together: all that planRules reads. Not the
 * whole table: fail2ban keeps a rule per banned address in chains of its own, and iptables-nft
 * lists a table of 20k rules while fail2ban inserts into it by starting over whenever the ruleset
 * changed meanwhile (a heal during a fail2ban restart with 10k bans burnt 17 s of CPU and slowed
 * fail2ban by half). One chain lists in about 2 ms whatever the rest holds. A chain that does
 * not exist lists nothing, as it is absent from a listing of the table. The chains the admin jumps
 * or goes to from them are listed too, a few levels and chains down (an ACCEPT there lets packets
 * past ours: rulesAhead); fail2ban's chains, never (FAIL2BAN_CHAINS).
 */
export async function listRules(runner: Runner, family: Family, wanted: Pick<RuleWanted, 'chain' | 'hookChains'>): Promise<string> {
  const binary = iptablesBinary(family);
  const listChain = async (chain: string) => {
    const result = await runner(binary, ['-w', '-t', 'filter', '-S', chain], { allowFailure: true });
    if (result.exitCode === 0) return result.stdout;
    if (result.exitCode === 1 && NO_SUCH_CHAIN.test(result.stderr)) return '';
    throw new ToolError([binary, '-w', '-t', 'filter', '-S', chain], result.exitCode, result.stderr, `reading ${binary} rules`);
  };
  const listed = new Set([wanted.chain, ...wanted.hookChains]);
  let listing = (await Promise.all([...listed].map(listChain))).join('');
  const unlisted = () => jumpTargets(listing).filter((chain) => !listed.has(chain) && !BUILTIN_TARGETS.has(chain) && !chain.startsWith(FAIL2BAN_CHAINS));
  for (let level = 0; level < FOLLOWED_LEVELS; level++) {
    const next = unlisted().slice(0, Math.max(0, FOLLOWED_CHAINS - listed.size));
    if (next.length === 0) break;
    for (const chain of next) listed.add(chain);
    listing += (await Promise.all(next.map(listChain))).join('');
  }
  // Past the budget: named, so that a jump to one is no rule that lets nothing past (rulePasses).
  return listing + unlisted().map((chain) => `${UNREAD}${chain}\n`).join('');
}

/** Marks, in a listing, a chain listRules left unread (not an iptables line: none starts with '#'). */
const UNREAD = '# unread ';

/** How deep, and how many chains in all, listRules follows the admin's jumps (ufw's chains for INPUT are about 15). */
export const FOLLOWED_LEVELS = 3;
export const FOLLOWED_CHAINS = 32;
/**
 * fail2ban's chains (f2b-<jail>): a rule per banned address, and never an ACCEPT. Its jump matches
 * every packet with iptables-allports and protocol = all, and a chain of 20k rules listed at each
 * check is the cost listRules is there to avoid.
 */
const FAIL2BAN_CHAINS = 'f2b-';
/** Targets that are no chain to list. */
const BUILTIN_TARGETS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'NFLOG', 'QUEUE', 'NFQUEUE', 'MARK', 'CONNMARK', 'CT', 'AUDIT', 'TRACE',
  'SET', 'TCPMSS', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'ECN', 'SECMARK', 'CONNSECMARK', 'CHECKSUM', 'NOTRACK', 'SYNPROXY', 'TEE', 'LED', 'IDLETIMER', 'RATEEST', 'HMARK',
]);

/** The targets of the rules in `listing`: the chains they jump or go to, and the verdicts. */
function jumpTargets(listing: string): string[] {
  const targets = new Set<string>();
  for (const line of listing.split('\n')) {
    const rule = line.startsWith('-A ') ? parseRule(line.trim()) : undefined;
    if (rule !== undefined) targets.add(rule.target);
  }
  return [...targets];
}

/**
 * Applies what planRules says to the filter table of one family, in one `iptables-restore --noflush`
 * (one process, and atomic: a jump is never missing in between); returns what it did. `listing` is
 * the table read earlier (restore reads it while the sets load), or it is read now.
 */
export async function ensureRules(runner: Runner, family: Family, wanted: RuleWanted, listing?: string): Promise<string[]> {
  const binary = iptablesBinary(family);
  const { repairs, absentHooks } = planRules(listing ?? (await listRules(runner, family, wanted)), wanted);
  const what = repairs.map((repair) => repair.what).join(', ');
  await applyRuleLines(runner, family, repairs.flatMap((repair) => repair.lines), `repairing ${what}`);
  const none = await nothingJumps(runner, family, wanted, absentHooks);
  return [
    ...repairs.map((repair) => `${binary}: ${repair.why}`),
    ...absentHooks.map((hook) => `${binary}: ${describeAbsentHook(hook, wanted.chain)}`),
    ...(none ? [`${binary}: no chain jumps to ${wanted.chain} (${describeNoJumps(wanted.hookChains)}): the set drops nothing`] : []),
  ];
}

/**
 * Whether no rule jumps or goes to our chain, so the set drops nothing: no chain of hook_chains
 * exists (none named, a chain of another table, one Docker has not made yet), and no rule of the
 * admin's does either (the kernel counts them all: the header of `iptables -L`).
 */
export async function nothingJumps(runner: Runner, family: Family, wanted: Pick<RuleWanted, 'chain' | 'hookChains'>, absentHooks: readonly string[]): Promise<boolean> {
  if (wanted.hookChains.some((hook) => !absentHooks.includes(hook))) return false;
  const result = await runner(iptablesBinary(family), ['-w', '-n', '-L', wanted.chain], { allowFailure: true });
  const references = /^Chain \S+ \((\d+) references\)/.exec(result.stdout)?.[1];
  return Number(references ?? 0) === 0;
}

/** Why no chain of hook_chains jumps to ours (see nothingJumps). */
export function describeNoJumps(hookChains: readonly string[]): string {
  return hookChains.length === 0 ? '[ipset] hook_chains names none' : 'none of [ipset] hook_chains exists';
}

export function describeAbsentHook(hook: string, chain: string): string {
  return `no jump from ${hook} to ${chain}: chain ${hook} does not exist (yet); the next restore adds it`;
}

/** The problems planRules would fix, without fixing them (doctor, self-heal). */
export async function inspectRules(runner: Runner, family: Family, wanted: RuleWanted): Promise<RulePlan> {
  return planRules(await listRules(runner, family, wanted), wanted);
}
