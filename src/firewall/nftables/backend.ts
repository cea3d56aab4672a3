// The nftables backend: table `inet <table>` with per family a hash set of addresses and an interval
// set of CIDR blocks (script.ts says why two), and an input hook chain that drops their sources.
// A restore replaces the whole table in one `nft -f` transaction, so there is never a moment without
// the blocklist; the hook and the safelist change elements in place. Nothing outside our table is
// touched.

import { V4, V6, type Family, type KeySpace, type Network, type Range } from '../../address/network.js';
import { formatNetwork } from '../../address/format.js';
import { LiveIndex4, LiveIndex6, type LiveIndex } from '../../plan/live-index.js';
import type { Config } from '../../config/config.js';
import { OperationalError, RefusedBeforeLoad, ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';
import type { Delta, FamilyDelta } from '../../plan/diff.js';
import type { PlanStream } from '../../plan/stream.js';
import type { ApplyReport, FirewallBackend, RetireOptions, Inspection, LiveCheck, LiveSession, PresenceHints, UpdateReport } from '../backend.js';
import { ToolSession } from '../../exec/tool-session.js';
import { checkPresence, checkRules, checkRulesAhead, checkTable, checkTableFlags } from './check.js';
import { Nft, NFT_ABSENT, NFT_SENTINEL } from './cmd.js';
import { parseSetListing, parseTable, parseTableChains, type NftRuleState } from './json.js';
import { reconcileBlocks } from './reconcile.js';
import { nftJsonScript } from './json-script.js';
import { dropRules, formatElement, isEmptyChange, isHost, NFT_CHAIN, NFT_PROBE_CHAIN, NFT_SETS, oneLine, setChanges, updateScript, type SetChanges } from './script.js';

/** nft's words when the live interval set is not what the delta expects. */
const DRIFT = /element does not exist|interval overlaps|conflicting intervals|File exists/;
/** What nft says (ENFILE) when an element does not fit in a set's size. */
const SET_FULL = /Too many open files in system/;
const UPDATE_ATTEMPTS = 3;
/**
 * The session's nft is replaced when it holds more than this: after a delete it keeps every element
 * of the table's interval sets in its cache (~170 MB for 300k blocks); it starts at ~7 MB.
 */
const NFT_SESSION_MAX_RESIDENT = 32 * 1024 * 1024;
/** A delete reads back every interval set first: ~6 s beside 300k blocks, over a minute beside 1M. */
const NFT_SESSION_ANSWER_MS = 300_000;

export class NftablesBackend implements FirewallBackend {
  readonly name = 'nftables' as const;
  private readonly nft: Nft;

  /** `workDir`: where a full load writes nft's batch file (see Nft.loadJson). */
  constructor(
    private readonly settings: Config['nftables'],
    runner: Runner,
    workDir?: string,
  ) {
    this.nft = new Nft(runner, workDir);
  }

  private get table(): string {
    return `inet ${this.settings.table}`;
  }

  async apply(makePlan: () => PlanStream): Promise<ApplyReport> {
    const { chains, foreign } = await this.tableChains();
    if (foreign.length > 0) {
      throw new RefusedBeforeLoad(`nftables table ${this.table} is not stickyban's: it holds chain ${foreign.join(', ')}, which a restore would delete with it; name a table of stickyban's own in [nftables] table`);
    }
    // The batch is built whole before nft starts: the hosts' set is sized by their count, and nft
    // reads JSON from a named file (cmd.ts).
    const script = nftJsonScript(makePlan(), this.settings);
    const existed = chains.includes(NFT_CHAIN);
    await this.nft.loadJson(script.buffers, `loading nftables table ${this.table}`);
    return { v4: script.entries[4], v6: script.entries[6], notes: existed ? [] : [`created nftables table ${this.table}`] };
  }

  /**
   * Applies the delta in one `nft -f -` transaction, its adds at the same cost whatever the size of
   * the sets (updateScript says how). The live set can differ from what the store
   * expects: an admin ran nft by hand, or two hooks raced and applied their deltas out of order. An
   * element to delete may then be gone, and nft fails the whole transaction for it, which must not
   * fail a ban. The intent of a delete (that block no longer blocked) already holds when the element
   * is gone, so: addresses are deleted with the add-then-delete pair (updateScript), which never
   * fails; for blocks, a failure reads the interval set (blocks are few, so this is cheap) and redoes
   * the transaction against what is really there (reconcileBlocks). A hook racing between that read
   * and the write makes it fail again, hence a few attempts.
   */
  update(delta: Delta): Promise<UpdateReport> {
    return this.updateWith(delta, (script, context) => this.nft.load(script, context));
  }

  /**
   * One `nft -i` for the daemon's whole life (see exec/tool-session.ts). nft runs each line it reads
   * as one transaction, so a script goes as one line, its commands joined by semicolons, and
   * `describe` after it marks the end of nft's answer: a fixed line on stdout, where the errors
   * before it come from the script.
   */
  openSession(): LiveSession {
    const tool = new ToolSession('nft', ['-i'], NFT_SENTINEL, { maxResidentBytes: NFT_SESSION_MAX_RESIDENT, answerMs: NFT_SESSION_ANSWER_MS });
    const load = async (script: string, context: string): Promise<void> => {
      const { answers: [answer = ''] } = await tool.send([oneLine(script)]);
      if (answer.trim() === '') return;
      // nft echoes the failed line under its error: the whole script, of no use in a message.
      const errors = answer.split('\n').filter((line) => line.startsWith('Error'));
      throw new ToolError(['nft', '-i'], 1, errors.length > 0 ? errors.join('\n') : answer.slice(0, 500), context);
    };
    return { update: (delta) => this.updateWith(delta, load), close: () => tool.stop() };
  }

  /** update() through `load`, which runs a script as one transaction. */
  private async updateWith(delta: Delta, load: (script: string, context: string) => Promise<void>): Promise<UpdateReport> {
    let changes: Record<Family, SetChanges> = { 4: setChanges(4, delta.v4), 6: setChanges(6, delta.v6) };
    if (isEmptyChange(changes[4]) && isEmptyChange(changes[6])) return { added: 0, removed: 0 };
    const absent = { added: 0, removed: 0, absent: `nftables table ${this.table} does not exist yet (stickyban restore creates it)` };
    for (let attempt = 1; ; attempt++) {
      try {
        await load(updateScript(this.settings.table, changes), `updating nftables table ${this.table}`);
        return { added: delta.v4.add.length + delta.v6.add.length, removed: delta.v4.del.length + delta.v6.del.length };
      } catch (error) {
        if (!(error instanceof ToolError)) throw error;
        // nft says "No such file or directory" for a missing table, set or hash element alike.
        if (NFT_ABSENT.test(error.stderr)) {
          if (!(await this.exists())) return absent;
          // Our chain is there but a set is not: the table was made by hand or by another tool.
          throw new OperationalError(
            `nftables table inet ${this.settings.table} is not laid out as stickyban makes it (${firstLine(error.stderr)}); stickyban restore replaces the whole table (keep your own rules in another table)`,
          );
        }
        if (SET_FULL.test(error.stderr)) {
          throw new OperationalError(`${error.message} (a set of table ${this.table} is full: a restore sizes it for twice its entries again; run stickyban restore)`);
        }
        if (!DRIFT.test(error.stderr) || attempt === UPDATE_ATTEMPTS) throw error;
      }
      const v4 = await this.reconciled(4, V4, delta.v4, changes[4]);
      const v6 = await this.reconciled(6, V6, delta.v6, changes[6]);
      if (!v4 || !v6) return absent;
      changes = { 4: v4, 6: v6 };
    }
  }

  /** An address is in the hosts' set or inside a block; a block is inside one of the blocks. */
  async holds(network: Network): Promise<boolean> {
    const { hosts, blocks } = NFT_SETS[network.family];
    // Blocks are few, so their set is listed; nft reads back every set of the table for a lookup anyway.
    const listed = await this.nft.listSet('inet', this.settings.table, blocks);
    const inBlocks = listed === undefined ? undefined : parseSetListing(listed);
    if (inBlocks && this.indexOf(network.family, inBlocks.elements).coverage(network) === 'full') return true;
    return isHost(network.family, network) && this.nft.hasElement('inet', this.settings.table, hosts, formatNetwork(network));
  }

  async liveIndex(family: Family): Promise<LiveIndex<number | bigint> | undefined> {
    const { hosts, blocks } = NFT_SETS[family];
    const [hostSet, blockSet] = await Promise.all([this.nft.listSet('inet', this.settings.table, hosts), this.nft.listSet('inet', this.settings.table, blocks)]);
    if (hostSet === undefined || blockSet === undefined) return undefined;
    return this.indexOf(family, [...(parseSetListing(hostSet)?.elements ?? []), ...(parseSetListing(blockSet)?.elements ?? [])]);
  }

  private indexOf(family: Family, elements: readonly Range<number | bigint>[]): LiveIndex<number | bigint> {
    return family === 4 ? LiveIndex4.fromRanges(elements as Range<number>[]) : new LiveIndex6(elements as Range<bigint>[]);
  }

  async retire(current?: Config, options: RetireOptions = {}): Promise<string[]> {
    if (current?.nftables.table === this.settings.table) return [];
    // A killed restore's nft runs on, and commits the table after a look that found none.
    await this.nft.loadsOfTheKilledEnded();
    if (!(await this.exists(options))) return [];
    await this.nft.load(`delete table ${this.table}\n`, `removing nftables table ${this.table}`);
    return [`removed nftables table ${this.table}, left by the nftables backend${current ? ' under another table name' : ''}`];
  }

  async leftovers(current?: Config, options: RetireOptions = {}): Promise<string[]> {
    if (current?.nftables.table === this.settings.table || !(await this.exists(options))) return [];
    return [`nftables table ${this.table}`];
  }

  /**
   * The chains of the table named in the config, and those of them that are not ours. A load
   * replaces the table whole: one that holds chains of its own is the admin's (Debian's
   * nftables.conf: inet filter with input, forward and output), never ours, though its `input`
   * bears our chain's name.
   */
  private async tableChains(): Promise<{ chains: string[]; foreign: string[] }> {
    const chains = parseTableChains(await this.nft.listChains('inet'), this.settings.table).map((chain) => chain.name);
    return { chains, foreign: chains.filter((name) => name !== NFT_CHAIN && name !== NFT_PROBE_CHAIN) };
  }

  /**
   * Whether our table is there, told by its chain (see cmd.ts for why not by listing it). A table a
   * restore loaded is ours, a chain the admin added to it included (the table is stickyban's, the
   * README says, and a restore replaces it whole); one of the admin's named in the config never
   * got this far (apply refuses it before loading), but a restore cut short before that refusal
   * names it (`onlyOurs`: a table with chains of another name is not ours then).
   */
  private async exists({ onlyOurs }: RetireOptions = {}): Promise<boolean> {
    const { chains, foreign } = await this.tableChains();
    return chains.includes(NFT_CHAIN) && !(onlyOurs === true && foreign.length > 0);
  }

  /**
   * Puts back the drop rules missing from our chain (a rule deleted by hand, the chain flushed) when
   * the chain is there; a table or chain gone is a restore's to put back. The daemon runs it when
   * nft's monitor reports a rule of our table deleted: the listing reads back the sets' elements,
   * too costly for the check every few seconds, which sees only the chain.
   */
  async relink(): Promise<string[]> {
    const rules = await this.chainRules();
    if (rules === undefined) return [];
    const present = new Set(rules.map((rule) => rule.text));
    const missing = ([4, 6] as const).flatMap((family) => dropRules(family)).filter((rule) => !present.has(rule));
    if (missing.length === 0) return [];
    await this.nft.load(missing.map((rule) => `add rule ${this.table} ${NFT_CHAIN} ${rule}\n`), `putting back the rules of nftables chain ${NFT_CHAIN}`);
    return missing.map((rule) => `rule "${rule}" in nftables chain ${NFT_CHAIN}`);
  }

  async presence(hints?: PresenceHints): Promise<LiveCheck[]> {
    const checks = checkPresence(parseTableChains(await this.nft.listChains('inet'), this.settings.table), this.settings);
    if (!hints?.rules || checks.some((check) => !check.ok)) return checks;
    // A command's report: the table listed, which tells its flags too (any listing reads back the
    // sets' elements in nft 1.0.6, `list tables` included: too costly for the daemon's check).
    const json = await this.nft.listTable('inet', this.settings.table);
    if (json === undefined) return checkPresence([], this.settings);
    const { flags, rules } = parseTable(json);
    const table = checkTableFlags(flags, this.settings);
    return table.ok ? [...checks, ...checkRules(rules), ...checkRulesAhead(rules, this.settings.table)] : [table];
  }

  /** The rules of our chain (a listing that reads back the sets' elements), undefined without the chain. */
  private async chainRules(): Promise<NftRuleState[] | undefined> {
    const listed = await this.nft.listChain('inet', this.settings.table, NFT_CHAIN);
    return listed === undefined ? undefined : parseTable(listed).rules;
  }

  async inspect(): Promise<Inspection> {
    const json = await this.nft.listTable('inet', this.settings.table);
    return checkTable(json === undefined ? undefined : parseTable(json), this.settings);
  }

  /** The family's block changes worked out against the live interval set; undefined when it is gone. */
  private async reconciled<K extends number | bigint>(family: Family, space: KeySpace<K>, delta: FamilyDelta<K>, changes: SetChanges): Promise<SetChanges | undefined> {
    const del = delta.del.filter((cidr) => !isHost(family, cidr));
    const add = delta.add.filter((cidr) => !isHost(family, cidr));
    if (del.length + add.length === 0) return changes;
    const json = await this.nft.listSet('inet', this.settings.table, NFT_SETS[family].blocks);
    const live = json === undefined ? undefined : parseSetListing(json);
    if (!live) return undefined;
    const result = reconcileBlocks(space, live.elements as Range<K>[], del, add);
    return {
      ...changes,
      blocksDel: result.del.map((range) => formatElement(family, range)),
      blocksAdd: result.add.map((cidr) => formatElement(family, cidr)),
    };
  }
}

/** The first line nft printed, for a one-line message. */
function firstLine(stderr: string): string {
  return stderr.trim().split('\n')[0] ?? '';
}
