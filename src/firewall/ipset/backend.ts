// The ipset backend: hash:net sets (stickyban4, stickyban6) matched by one iptables/ip6tables rule.
// A rebuild is one `ipset restore` batch: per family a temporary set is created and filled, then
// swapped with the live set, whose old contents are destroyed. The live set is never empty or half
// loaded, and the entries stream into ipset while the store is still being read.

import type { Cidr, Family, Network } from '../../address/network.js';
import { formatNetwork } from '../../address/format.js';
import { LiveIndex4, LiveIndex6, type LiveIndex } from '../../plan/live-index.js';
import type { Config } from '../../config/config.js';
import { OperationalError } from '../../errors.js';
import { awaitLater, nextTurn, type Runner } from '../../exec/run.js';
import { type FamilyPlanSource, type FamilyPlanStream, type PlanSink, type PlanStream } from '../../plan/stream.js';
import { Digest6, diffPacked4, PackedKeys4, sameKeys4, unpack4 } from '../../plan/compare.js';
import { diffEntries, type Delta, type FamilyDelta } from '../../plan/diff.js';
import { digestMembers6, members4, members6 } from './members.js';
import { count } from '../../input/plural.js';
import { addLines, createOptions, ipsetLines } from './script.js';
import type { ApplyOptions, ApplyReport, FirewallBackend, Inspection, LiveCheck, LiveSession, PresenceHints, UpdateReport } from '../backend.js';
import { promptFraming, ToolSession } from '../../exec/tool-session.js';
import { Ipset, IPSET_PROMPT, SET_ABSENT, type SetHeader } from './cmd.js';
import { applyRuleLines, describeAbsentHook, describeNoJumps, FOLLOWED_CHAINS, FOLLOWED_LEVELS, nothingJumps, ensureRules, inspectRules, iptablesBinary, listRules, listTable, planRetire, type Passes, type RuleWanted } from './iptables-rules.js';

export class IpsetBackend implements FirewallBackend {
  readonly name = 'ipset' as const;
  private readonly ipset: Ipset;

  constructor(
    private readonly settings: Config['ipset'],
    private readonly runner: Runner,
  ) {
    this.ipset = new Ipset(runner);
  }

  setName(family: Family): string {
    return family === 4 ? this.settings.set4 : this.settings.set6;
  }

  private rulesWanted(family: Family): RuleWanted {
    return { chain: this.settings.chain, set: this.setName(family), hookChains: this.settings.hookChains };
  }

  /**
   * A firewall reload usually keeps the sets and drops only our rule and jumps: those go back first,
   * before the store is read (one iptables-restore per family, protection back in milliseconds).
   * Then each set in place is compared with the plan and only the difference applied, in one
   * `ipset -exist restore`; a set is rebuilt (temporary set, swap) only when it is missing, too
   * small, holds what stickyban cannot read, or differs by more than a quarter of the plan.
   */
  async apply(makePlan: () => PlanStream, options: ApplyOptions = {}): Promise<ApplyReport> {
    const listings = awaitLater(Promise.all([listRules(this.runner, 4, this.rulesWanted(4)), listRules(this.runner, 6, this.rulesWanted(6))]));
    const headers = await this.ipset.headers();
    const names = headers.map((header) => header.name);
    // A live set of another type cannot be swapped with ours: that family is left as it is and named
    // at the end; the other one is still loaded and protected.
    const refused = ([4, 6] as const).flatMap((family) => {
      const mismatch = this.mismatch(family, headers);
      return mismatch === undefined ? [] : [{ family, problem: `ipset ${this.setName(family)} exists as ${mismatch.found}, not the ${mismatch.wanted} stickyban loads: ${mismatch.fix}` }];
    });
    const loads = (family: Family) => !refused.some((refusal) => refusal.family === family);
    const inPlace = (family: Family) => (loads(family) ? headers.find((header) => header.name === this.setName(family)) : undefined);
    const [listing4, listing6] = await listings;
    const notes: string[] = [];
    for (const [family, listing] of [[4, listing4], [6, listing6]] as const) {
      if (inPlace(family)) notes.push(...(await ensureRules(this.runner, family, this.rulesWanted(family), listing)));
    }
    // The sets in place are listed while the store is read.
    const live4 = inPlace(4) && !options.rebuild && awaitLater(this.ipset.list(this.setName(4)));
    const live6 = inPlace(6) && !options.rebuild && awaitLater(this.ipset.list(this.setName(6)));
    const plan = makePlan();
    const rebuilds: RebuildSteps[] = [];
    const updates: string[] = [];
    // A set in place, large enough, is compared with the plan, else rebuilt. Both families' plans
    // are read at once (their store pages interleave) while ipset lists the sets.
    const compares = (family: Family, stream: FamilyPlanStream<number | bigint>, live: false | undefined | Promise<string>): live is Promise<string> => {
      const header = inPlace(family);
      return header !== undefined && live !== undefined && live !== false && header.maxelem >= stream.sizeBound && options.rebuild !== true;
    };
    const compared4 = compares(4, plan.v4, live4) ? awaitLater(compare4(plan.v4, live4)) : undefined;
    const compared6 = compares(6, plan.v6, live6) ? awaitLater(compare6(plan.v6, live6)) : undefined;
    const decide = async <K extends number | bigint>(family: Family, stream: FamilyPlanStream<K>, compared: Promise<Compared<K>> | undefined) => {
      if (!loads(family)) return;
      if (!compared) {
        rebuilds.push(this.rebuildSteps(family, stream, names));
        return;
      }
      const { delta, planned } = await compared;
      const size = delta === undefined ? Infinity : delta.add.length + delta.del.length;
      if (delta === undefined || size > Math.max(LARGE_DRIFT_MIN, stream.stats.planned / 4)) {
        rebuilds.push(this.rebuildSteps(family, { ...stream, pages: planned.pages }, names));
        notes.push(`ipset ${this.setName(family)} ${delta === undefined ? 'held entries stickyban does not write' : `differed from the plan in ${count(size, 'entry', 'entries')}`}: rebuilt`);
        return;
      }
      updates.push(...this.updateLines(family, delta));
      if (size > 0) notes.push(`ipset ${this.setName(family)}: ${count(delta.add.length, 'entry', 'entries')} added and ${delta.del.length} removed to match the store`);
    };
    await decide(4, plan.v4, compared4);
    await decide(6, plan.v6, compared6);
    const script = function* (): Generator<string> {
      for (const steps of rebuilds) yield steps.head;
      for (const steps of rebuilds) yield* steps.adds;
      // The swaps come last: a batch cut short anywhere before them leaves both live sets as they were.
      for (const steps of rebuilds) yield steps.tail;
    };
    try {
      if (rebuilds.length > 0) await this.ipset.restore(script(), { exist: false, context: `loading ipsets ${rebuilds.map((steps) => steps.live).join(' and ')}` });
    } catch (error) {
      // Do not leave half-filled temporary sets behind; live sets not yet swapped are untouched.
      for (const steps of rebuilds) await this.ipset.destroy(steps.temp).catch(() => undefined);
      throw error;
    }
    if (updates.length > 0) await this.ipset.restore(updates.join(''), { exist: true, context: 'updating ipsets to match the store' });
    notes.push(...rebuilds.flatMap((steps) => steps.notes));
    // Sets that were not there before have their rule and jumps now.
    for (const [family, listing] of [[4, listing4], [6, listing6]] as const) {
      if (loads(family) && !inPlace(family)) notes.push(...(await ensureRules(this.runner, family, this.rulesWanted(family), listing)));
    }
    if (refused.length > 0) {
      const restored = ([4, 6] as const).filter(loads).map((family) => `IPv${family} was restored`);
      throw new OperationalError([...refused.map((refusal) => refusal.problem), ...restored].join('; '));
    }
    return { v4: plan.v4.stats.planned, v6: plan.v6.stats.planned, notes };
  }

  /**
   * Puts back the rule and jumps of each set that is in place, and nothing else: what a firewall
   * reload that kept the sets removed. A few tool calls; the daemon runs it the moment a reload is
   * seen. Returns what it repaired.
   */
  async relink(): Promise<string[]> {
    const headers = await this.ipset.headers();
    const notes: string[] = [];
    for (const family of [4, 6] as const) {
      const present = headers.some((header) => header.name === this.setName(family));
      if (present && this.mismatch(family, headers) === undefined) notes.push(...(await ensureRules(this.runner, family, this.rulesWanted(family))));
    }
    return notes;
  }

  /**
   * The hook's update (the daemon holds a session instead), in one ipset process: the changes, then
   * the headers, which tell a set that is not there yet (no restore so far) and a set no rule refers
   * to, which blocks nothing (a reload dropped our rule after the last restore): its rule and jumps
   * go back then, so what this adds blocks.
   */
  async update(delta: Delta): Promise<UpdateReport> {
    const lines = { 4: this.updateLines(4, delta.v4), 6: this.updateLines(6, delta.v6) };
    if (lines[4].length + lines[6].length === 0) return { added: 0, removed: 0 };
    const { headers: listed, errors } = await this.ipset.changeAndList([...lines[4], ...lines[6]], 'updating ipsets');
    const reports = ([4, 6] as const).map((family): UpdateReport => {
      if (lines[family].length === 0) return { added: 0, removed: 0 };
      if (!listed.some((header) => header.name === this.setName(family))) return this.absent(family);
      const changes = family === 4 ? delta.v4 : delta.v6;
      return { added: changes.add.length, removed: changes.del.length };
    });
    const failed = errors.filter((error) => !SET_ABSENT.test(error));
    if (failed.length > 0) throw new OperationalError(`updating ipsets: ${failed[0]}`);
    const report = combine(reports);
    for (const family of [4, 6] as const) {
      const changed = family === 4 ? delta.v4.add.length : delta.v6.add.length;
      const header = listed.find((entry) => entry.name === this.setName(family));
      if (changed > 0 && header && header.references === 0 && this.mismatch(family, listed) === undefined) {
        await ensureRules(this.runner, family, this.rulesWanted(family));
      }
    }
    return report;
  }

  /**
   * Set headers and the rules: a few cheap tool calls, so the daemon can run it every few seconds.
   * The headers count each set's entries for free: an `ipset flush`, an import or a prune killed
   * before its live update shows as a count out of line with the plan's (when the store can tell
   * it cheaply), or else as an empty set while the store plans something for that family.
   */
  async presence(hints: PresenceHints): Promise<LiveCheck[]> {
    const { checks, entries } = await this.inspect();
    for (const family of [4, 6] as const) {
      const live = entries[family === 4 ? 'v4' : 'v6'];
      if (live === undefined) continue;
      const what = `ipset ${this.setName(family)}`;
      const range = hints.plannedRange?.(family);
      if (live === 0 && (range ? range.min > 0 : hints.firstPlanned(family) !== undefined)) {
        checks.push({ what, ok: false, problem: 'is empty, but the store plans entries', family });
      } else if (range && (live < range.min || live > range.max)) {
        const planned = range.min === range.max ? `${range.min}` : `${range.min} to ${range.max}`;
        checks.push({ what, ok: false, problem: `holds ${count(live, 'entry', 'entries')}, but the store plans ${planned}`, miscount: true, family });
      }
    }
    return checks;
  }

  async inspect(): Promise<Inspection> {
    const checks: LiveCheck[] = [];
    const entries: { v4: number | undefined; v6: number | undefined } = { v4: undefined, v6: undefined };
    const headers = await this.ipset.headers();
    for (const family of [4, 6] as const) {
      const set = this.setName(family);
      const header = headers.find((listed) => listed.name === set);
      const mismatch = this.mismatch(family, headers);
      if (!header) checks.push({ what: `ipset ${set}`, ok: false, problem: 'does not exist', family });
      else if (mismatch !== undefined) {
        checks.push({ what: `ipset ${set}`, ok: false, problem: `is ${mismatch.found}`, fix: mismatch.fix, family });
        // Its rules are not ours to add while the set in the way is not ours.
        continue;
      } else {
        checks.push({ what: `ipset ${set}`, ok: true, family });
        entries[family === 4 ? 'v4' : 'v6'] = header.entries;
      }
      const { repairs, absentHooks, shadowing } = await inspectRules(this.runner, family, this.rulesWanted(family));
      const binary = iptablesBinary(family);
      if (repairs.length === 0) checks.push({ what: `${binary} chain ${this.settings.chain}, its rule and jumps`, ok: true, family });
      for (const repair of repairs) checks.push({ what: `${binary} ${repair.what}`, ok: false, problem: repair.problem, family });
      for (const hook of absentHooks) checks.push({ what: `${binary} jump from ${hook}`, ok: true, warning: describeAbsentHook(hook, this.settings.chain), family });
      if (await nothingJumps(this.runner, family, this.rulesWanted(family), absentHooks)) {
        // A restore cannot help: the config must name a chain packets pass.
        checks.push({
          what: `${binary} jumps to ${this.settings.chain}`,
          ok: false,
          problem: `none: ${describeNoJumps(this.settings.hookChains)}`,
          fix: 'set [ipset] hook_chains to chains of the filter table that packets pass (INPUT, FORWARD, DOCKER-USER), then stickyban restore',
          family,
        });
      }
      for (const { chain, rule, passes } of shadowing) checks.push({ ok: true, ...describeShadowing(binary, chain, rule, passes, this.settings.chain), family });
    }
    return { checks, entries };
  }

  async holds(network: Network): Promise<boolean> {
    if (isHost(network)) return this.ipset.test(this.setName(network.family), formatNetwork(network));
    return (await this.liveIndex(network.family))?.coverage(network) === 'full';
  }

  async liveIndex(family: Family): Promise<LiveIndex<number | bigint> | undefined> {
    const set = this.setName(family);
    const headers = await this.ipset.headers();
    if (!headers.some((header) => header.name === set) || this.mismatch(family, headers) !== undefined) return undefined;
    const listing = await this.ipset.list(set);
    const index = family === 4 ? mapDefined(members4(listing), (keys) => LiveIndex4.fromPacked(keys.sort())) : mapDefined(members6(listing), (members) => new LiveIndex6(members));
    if (!index) throw new OperationalError(`ipset ${set} holds entries stickyban does not write (options such as nomatch): stickyban restore rebuilds it`);
    return index;
  }

  async retire(current?: Config): Promise<string[]> {
    const notes: string[] = [];
    const left = current ? ' under other names' : '';
    // One family failing does not keep the other in place.
    for (const part of await this.leftParts(current?.ipset)) {
      try {
        await applyRuleLines(this.runner, part.family, part.lines, `removing ${part.what}`);
        if (part.set !== undefined) await this.ipset.destroy(part.set);
        notes.push(`removed ${part.what}, left by the ipset backend${left}`);
      } catch (error) {
        notes.push(`could not remove ${part.what}, left by the ipset backend${left}: ${(error as Error).message}`);
      }
    }
    return notes;
  }

  async leftovers(current?: Config): Promise<string[]> {
    return (await this.leftParts(current?.ipset)).map((part) => part.described);
  }

  /**
   * Per family, what of these settings' sets and rules is in place that `keep` (the settings in
   * force, when this backend is the live one under other names) does not use: the set, the rule
   * that matches it in our chain, the chain and its jumps when nothing else is left in it; with
   * the chain kept, the jumps from hook chains no longer hooked.
   */
  private async leftParts(keep?: Config['ipset']): Promise<LeftPart[]> {
    const headers = await this.ipset.headers();
    const parts: LeftPart[] = [];
    for (const family of [4, 6] as const) {
      const set = this.setName(family);
      const keptSet = keep && (family === 4 ? keep.set4 : keep.set6);
      const chain = this.settings.chain;
      const keptChain = keep?.chain === chain;
      // A set of another type under our name was never ours.
      const header = this.mismatch(family, headers) === undefined ? headers.find((listed) => listed.name === set) : undefined;
      const setGoes = header !== undefined && set !== keptSet;
      // iptables refuses a rule that matches a set that does not exist, and ipset one that a rule
      // uses: without the set, there is no rule of it to remove.
      const ruleGoes = header !== undefined && (!keptChain || set !== keptSet);
      const unhooked = keptChain ? this.settings.hookChains.filter((hook) => !keep!.hookChains.includes(hook)) : [];
      if (!setGoes && !ruleGoes && unhooked.length === 0) continue;
      const listing = await listTable(this.runner, family);
      const retired = ruleGoes ? planRetire(listing, { chain, set }) : [];
      // A chain in force keeps itself and its jumps; only the rule of a set no longer used goes.
      const ruleLines = keptChain ? retired.filter((line) => line.startsWith(`-D ${chain} `)) : retired;
      const hookLines = unhookLines(listing, unhooked, chain);
      if (!setGoes && ruleLines.length + hookLines.length === 0) continue;
      const binary = iptablesBinary(family);
      const pieces = (setPiece: string) => [
        ...(setGoes ? [setPiece] : []),
        ...(ruleLines.length > 0 ? [setGoes ? 'its rule' : `the ${binary} rule matching ipset ${set} in ${chain}`] : []),
        ...(hookLines.length > 0 ? [`the ${binary} jumps to ${chain} from ${unhooked.join(', ')}`] : []),
      ].join(' and ');
      parts.push({
        family,
        set: setGoes ? set : undefined,
        lines: [...ruleLines, ...hookLines],
        what: pieces(`ipset ${set}`),
        described: pieces(`ipset ${set} (${count(header!.entries, 'entry', 'entries')})`),
      });
    }
    return parts;
  }

  /** How the live set among `headers` (if it is there) differs from what a swap can replace, and the way out. */
  private mismatch(family: Family, headers: readonly SetHeader[]): { found: string; wanted: string; fix: string } | undefined {
    const set = this.setName(family);
    const header = headers.find((listed) => listed.name === set);
    const wanted = `hash:net family ${family === 4 ? 'inet' : 'inet6'}`;
    // A set with a timeout would take every entry loaded into it and drop it seconds later.
    const found = header && `${header.type} family ${header.family}${header.timeout > 0 ? ` timeout ${header.timeout}` : ''}`;
    if (found === undefined || found === wanted) return undefined;
    return { found, wanted, fix: `remove the rules that use it and run ipset destroy ${set}, or have stickyban use another name (set${family} in [ipset] of the config)` };
  }

  /** The parts of the batch that rebuild one family's set. */
  private rebuildSteps<K extends number | bigint>(family: Family, plan: FamilyPlanSource<K> & Pick<FamilyPlanStream<K>, 'sizeHint' | 'sizeBound'>, names: string[]): RebuildSteps {
    const live = this.setName(family);
    const temp = `${live}-t${process.pid}`;
    const notes: string[] = [];
    const options = createOptions(family, plan.sizeHint, plan.sizeBound);
    let head = '';
    // Restores hold the apply lock, so another temporary set was left by a restore that died
    // mid-load, whether or not its pid has been given to another process since.
    for (const name of names.filter((name) => isTempOf(name, live) && name !== temp)) {
      head += `destroy ${name}\n`;
      notes.push(`removed ipset ${name} left by an interrupted restore`);
    }
    if (names.includes(temp)) head += `destroy ${temp}\n`;
    if (!names.includes(live)) {
      head += `create ${live} ${options}\n`;
      notes.push(`created ipset ${live}`);
    }
    head += `create ${temp} ${options}\n`;
    return { family, live, temp, head, adds: addLines(family, temp, plan), tail: `swap ${temp} ${live}\ndestroy ${temp}\n`, notes };
  }

  /**
   * One `ipset -exist -` for the daemon's whole life: its updates are lines to a process already
   * running, not a process each (see exec/tool-session.ts).
   */
  openSession(): LiveSession {
    const tool = new ToolSession('ipset', ['-exist', '-'], promptFraming(IPSET_PROMPT));
    return {
      update: async (delta) => {
        const families = [
          { family: 4 as const, lines: this.updateLines(4, delta.v4) },
          { family: 6 as const, lines: this.updateLines(6, delta.v6) },
        ];
        const { answers } = await tool.send(families.flatMap(({ lines }) => lines));
        let at = 0;
        const reports = families.map(({ family, lines }): UpdateReport => {
          const errors = answers.slice(at, (at += lines.length)).map((answer) => answer.trim()).filter(Boolean);
          if (errors.some((error) => SET_ABSENT.test(error))) return this.absent(family);
          if (errors.length > 0) throw new OperationalError(`updating ipset ${this.setName(family)}: ${errors[0]}`);
          const changes = family === 4 ? delta.v4 : delta.v6;
          return { added: changes.add.length, removed: changes.del.length };
        });
        return combine(reports);
      },
      close: () => tool.stop(),
    };
  }

  /**
   * One line per add and del. Adds first: a block split around a new safelist entry gets its pieces
   * before it goes, so no other address of it is unblocked for even a moment (the entries are not
   * swapped in here).
   */
  private updateLines<K extends number | bigint>(family: Family, delta: FamilyDelta<K>): string[] {
    const set = this.setName(family);
    const text = [...delta.add.map((cidr) => ipsetLines('add', set, family, cidr)), ...delta.del.map((cidr) => ipsetLines('del', set, family, cidr))].join('');
    return text === '' ? [] : text.slice(0, -1).split('\n').map((line) => `${line}\n`);
  }

  private absent(family: Family): UpdateReport {
    return { added: 0, removed: 0, absent: `ipset ${this.setName(family)} does not exist yet (stickyban restore creates it)` };
  }
}

/** The reports of the two families as one. */
function combine(reports: readonly UpdateReport[]): UpdateReport {
  const absent = reports.filter((report) => report.absent).map((report) => report.absent).join('; ');
  return { added: reports.reduce((sum, report) => sum + report.added, 0), removed: reports.reduce((sum, report) => sum + report.removed, 0), ...(absent ? { absent } : {}) };
}

/** Above this many changes (or a quarter of the plan) a set is rebuilt rather than updated in place. */
const LARGE_DRIFT_MIN = 1024;

/** A family's plan collected for comparing with its live set: the difference, and the plan again as a source. */
interface Compared<K extends number | bigint> {
  /** Undefined when the live set holds what stickyban cannot read. */
  readonly delta: FamilyDelta<K> | undefined;
  readonly planned: FamilyPlanSource<K>;
}

/**
 * The plan is read from the store while the set is listed: the listing's pipe is read off between
 * the store's pages. Read after it, the store waited for ipset (~0.8 s at a million entries), a
 * third of a restore that finds nothing to change.
 */
async function compare4(stream: FamilyPlanStream<number>, listing: Promise<string>): Promise<Compared<number>> {
  const keys = new PackedKeys4();
  await planAllBesideTools(stream, keys);
  const planned = keys.sorted();
  const live = members4(await listing);
  // Nothing drifted, the usual case after a reload, is told without sorting the live set.
  const delta = live && (sameKeys4(live, planned) ? { add: [], del: [] } : diffPacked4(live.sort(), planned));
  return { delta, planned: { pages: (sink) => replay(planned.length, (i) => sink.entry(unpack4(planned[i]!))) } };
}

async function compare6(stream: FamilyPlanStream<bigint>, listing: Promise<string>): Promise<Compared<bigint>> {
  const planned: Cidr<bigint>[] = [];
  await planAllBesideTools(stream, { entry: (cidr) => void planned.push(cidr) });
  const listed = await listing;
  // Nothing drifted, the usual case after a reload, is told from a digest of the listing (see
  // Digest6): no bigint, key or sort per member.
  const digest = digestMembers6(listed);
  const same = digest !== undefined && digest.count === planned.length && digest.equals(digestOf6(planned));
  const replayed: FamilyPlanSource<bigint> = { pages: (sink) => replay(planned.length, (i) => sink.entry(planned[i]!)) };
  if (same) return { delta: { add: [], del: [] }, planned: replayed };
  const live = members6(listed);
  return { delta: live && diffEntries(live, planned), planned: replayed };
}

function digestOf6(cidrs: readonly Cidr<bigint>[]): Digest6 {
  const digest = new Digest6();
  for (const cidr of cidrs) digest.addCidr(cidr);
  return digest;
}

/** planAll, letting the loop turn after each store page so that the tools running meanwhile are read. */
async function planAllBesideTools<K extends number | bigint>(source: FamilyPlanSource<K>, sink: PlanSink<K>): Promise<void> {
  for (const _page of source.pages(sink)) await nextTurn();
}

/** Hands entries 0..n-1 to `give`, a page at a time, as a store-backed source would. */
function* replay(n: number, give: (i: number) => void): Generator<void> {
  for (let i = 0; i < n; i++) {
    give(i);
    if (i % 2048 === 2047) yield;
  }
}

/** What retire() removes of one family. */
interface LeftPart {
  readonly family: Family;
  /** The set to destroy, once the rules that use it are gone. */
  readonly set: string | undefined;
  /** iptables-restore lines that take out the rule, chain and jumps no longer wanted. */
  readonly lines: string[];
  readonly what: string;
  /** For doctor: the same, with the set's entry count. */
  readonly described: string;
}

/** Deletes every exact jump of ours (`-A HOOK -j CHAIN`) from hook chains no longer hooked. */
function unhookLines(listing: string, hooks: readonly string[], chain: string): string[] {
  if (hooks.length === 0) return [];
  const jumps = new Set(hooks.map((hook) => `-A ${hook} -j ${chain}`));
  return listing
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => jumps.has(line))
    .map((line) => `-D${line.slice(2)}`);
}

interface RebuildSteps {
  readonly family: Family;
  readonly live: string;
  readonly temp: string;
  /** Clean-up of leftovers, the live set if it is missing, the temporary set. */
  readonly head: string;
  readonly adds: Iterable<string>;
  /** Swap and destroy. */
  readonly tail: string;
  readonly notes: string[];
}

function isHost(network: Network): boolean {
  return network.first === network.last;
}

function mapDefined<T, U>(value: T | undefined, map: (value: T) => U): U | undefined {
  return value === undefined ? undefined : map(value);
}

function isTempOf(name: string, live: string): boolean {
  return name.startsWith(`${live}-t`) && /^\d+$/.test(name.slice(live.length + 2));
}

/** A rule of the admin's that lets packets past the drop (see rulesAhead): what doctor says of it. */
function describeShadowing(binary: string, chain: string, rule: string, passes: Passes, ours: string): Pick<LiveCheck, 'what' | 'warning' | 'fix' | 'bypass'> {
  if (passes === 'not known') {
    const where = chain === ours ? 'the drop' : `the jump to ${ours}`;
    const warning = `what it matches may be let through before ${where}: it leads to chains stickyban does not read (more than ${FOLLOWED_CHAINS} chains, or ${FOLLOWED_LEVELS} jumps down)`;
    return { what: `${binary} rule ahead of the ${chain === ours ? 'drop' : 'jump'} in ${chain}`, warning: `\`${rule}\`: ${warning}`, fix: 'check what those chains accept; stickyban safelist add for what must pass', bypass: 'what it matches' };
  }
  if (chain === ours) {
    const warning = passes === 'every packet' ? 'every packet is let through before the drop' : 'what it matches never meets the set';
    return { what: `${binary} rule ahead of the drop in ${chain}`, warning: `\`${rule}\`: ${warning}`, fix: 'safelist those addresses instead (stickyban safelist add), then delete the rule', bypass: passes };
  }
  const warning = passes === 'every packet' ? `every packet is let through before the jump to ${ours}` : `what it matches is let through before the jump to ${ours}`;
  return { what: `${binary} rule ahead of the jump in ${chain}`, warning: `\`${rule}\`: ${warning}`, fix: `delete it, or move it after the jump to ${ours}`, bypass: passes };
}
