// The nft text of stickyban's table, rendered from a plan or a delta. Pure: restore, the hook and
// `export --format nft` share it, and cmd.ts feeds it to `nft -f -`.

import { formatAddress, formatCidr } from '../../address/format.js';
import type { Cidr, Family, Range } from '../../address/network.js';
import type { Config } from '../../config/config.js';
import type { FamilyDelta } from '../../plan/diff.js';
import { planAll, type FamilyPlanSource, type PlanSource } from '../../plan/stream.js';

export interface FamilySets {
  /** Hash set of single addresses (/32, /128). */
  readonly hosts: string;
  /** Interval set of CIDR blocks. */
  readonly blocks: string;
  readonly type: 'ipv4_addr' | 'ipv6_addr';
  /** The payload protocol of the drop rule. */
  readonly protocol: 'ip' | 'ip6';
}

/**
 * Single addresses go to a hash set, CIDR blocks to an interval set. Measured with nft 1.0.6 (Debian 12):
 * nft reads a whole interval set back from the kernel before any element change to it (to check for
 * overlaps), and that read grows faster than the set: one `add element` costs 0.5 s at 100k entries
 * and 67 s at 1M. A hash set needs no such read, so the hook's add of one address stays instant at any
 * size; blocks are usually few. The hash set also loads faster (1M: 2.3 s against 5.5 s).
 */
export const NFT_SETS: Readonly<Record<Family, FamilySets>> = {
  4: { hosts: 'v4_hosts', blocks: 'v4', type: 'ipv4_addr', protocol: 'ip' },
  6: { hosts: 'v6_hosts', blocks: 'v6', type: 'ipv6_addr', protocol: 'ip6' },
};

export const NFT_CHAIN = 'input';

const FAMILIES: readonly Family[] = [4, 6];
const ELEMENTS_PER_CHUNK = 2048;
const MIN_HOSTS_SIZE = 65_536;

/**
 * The complete `nft -f` text that replaces table `inet <table>` with one holding the plan. nft runs a
 * file as one transaction, so the old table is gone and the new one in place at the same instant.
 * Declaring the table first makes the delete succeed when there is no table yet. Entries are the
 * planner's disjoint CIDRs in ascending order; nft takes adjacent blocks as they are (no auto-merge
 * needed, checked with nft 1.0.6). Streams in chunks, for millions of entries: each family's source
 * runs three times (counting the hosts the hash set is sized for, then writing the hosts, then the
 * blocks), so that none are held.
 */
export function* nftScript(plan: PlanSource, settings: Config['nftables']): Iterable<string> {
  const table = `inet ${settings.table}`;
  yield `# stickyban: replaces table ${table} in one transaction\n`;
  yield `table ${table}\ndelete table ${table}\ntable ${table} {\n`;
  for (const family of FAMILIES) {
    const source: FamilyPlanSource<number | bigint> = family === 4 ? plan.v4 : plan.v6;
    const sets = NFT_SETS[family];
    let hostCount = 0;
    let blockCount = 0;
    planAll(source, { entry: (cidr) => void (isHost(family, cidr) ? hostCount++ : blockCount++) });
    yield `\tset ${sets.hosts} {\n\t\ttype ${sets.type}\n\t\tsize ${hostsSize(hostCount)}\n`;
    yield* elementsBlock(family, source, true, hostCount);
    yield `\t}\n\tset ${sets.blocks} {\n\t\ttype ${sets.type}\n\t\tflags interval\n`;
    yield* elementsBlock(family, source, false, blockCount);
    yield '\t}\n';
  }
  yield `\tchain ${NFT_CHAIN} {\n\t\ttype filter hook input priority ${settings.priority}; policy accept;\n`;
  for (const family of FAMILIES) yield dropRules(family).map((rule) => `\t\t${rule}\n`).join('');
  yield '\t}\n}\n';
}

/** The rules of our chain, in nft's own notation: what inspect() expects to find. */
export function dropRules(family: Family): string[] {
  const { protocol, hosts, blocks } = NFT_SETS[family];
  return [`${protocol} saddr @${hosts} drop`, `${protocol} saddr @${blocks} drop`];
}

/** Room for the hook's adds until the next restore, like ipset's maxelem. */
export function hostsSize(hosts: number): number {
  return Math.max(MIN_HOSTS_SIZE, 2 ** Math.ceil(Math.log2(hosts * 2 + 1)));
}

export function isHost(family: Family, cidr: Cidr<number | bigint>): boolean {
  return cidr.prefix === (family === 4 ? 32 : 128);
}

/** A live element as nft takes it back: CIDR notation when it is one block, else "first-last". */
export function formatElement(family: Family, range: Range<number | bigint>): string {
  const block = blockOf(family, range);
  if (block) return formatCidr(family, block as Cidr<number> & Cidr<bigint>);
  return `${formatAddress(family, range.first)}-${formatAddress(family, range.last)}`;
}

/** The CIDR block that is exactly `range`, if there is one: a power-of-two size, aligned on it. */
function blockOf(family: Family, range: Range<number | bigint>): Cidr<number | bigint> | undefined {
  const first = BigInt(range.first);
  const size = BigInt(range.last) - first + 1n;
  if ((size & (size - 1n)) !== 0n || first % size !== 0n) return undefined;
  return { ...range, prefix: (family === 4 ? 33 : 129) - size.toString(2).length };
}

/** The hosts' or the blocks' elements, a chunk for each step of the source (a page of the store) and its end. */
function* elementsBlock(family: Family, source: FamilyPlanSource<number | bigint>, hosts: boolean, count: number): Generator<string> {
  // nft refuses an empty `elements = { }`.
  if (count === 0) return;
  yield '\t\telements = {\n';
  let chunk = '';
  const sink = {
    entry: (cidr: Cidr<number | bigint>) => {
      if (isHost(family, cidr) === hosts) chunk += `\t\t\t${formatCidr(family, cidr as Cidr<number> & Cidr<bigint>)},\n`;
    },
  };
  for (const _page of source.pages(sink)) {
    if (chunk === '') continue;
    yield chunk;
    chunk = '';
  }
  yield `${chunk}\t\t}\n`;
}

/** Element changes of one family, as nft element texts per set. */
export interface SetChanges {
  readonly hostsDel: readonly string[];
  readonly hostsAdd: readonly string[];
  readonly blocksDel: readonly string[];
  readonly blocksAdd: readonly string[];
}

export function setChanges<K extends number | bigint>(family: Family, delta: FamilyDelta<K>): SetChanges {
  const split = (cidrs: readonly Cidr<K>[], hosts: boolean): string[] =>
    cidrs.filter((cidr) => isHost(family, cidr) === hosts).map((cidr) => formatCidr(family, cidr as Cidr<number> & Cidr<bigint>));
  return { hostsDel: split(delta.del, true), hostsAdd: split(delta.add, true), blocksDel: split(delta.del, false), blocksAdd: split(delta.add, false) };
}

export function isEmptyChange(change: SetChanges): boolean {
  return change.hostsDel.length + change.hostsAdd.length + change.blocksDel.length + change.blocksAdd.length === 0;
}

/**
 * The chain that exists only inside an update's transaction (added, then deleted in it): its rules
 * refer to the sets the update adds to, so that nft refuses the update when one of them is missing
 * (see updateScript). The daemon's firewall watch ignores its deletion.
 */
export const NFT_PROBE_CHAIN = 'probe';

/**
 * One `nft -f` transaction that applies element changes, deletions first. Deleting an element that is
 * not there fails the whole transaction (and nft 1.0.6 has no `destroy element`), so each address to
 * delete is added first: the pair is a no-op when the address is gone and a delete when it is there.
 * The trick is safe only in a hash set: in an interval set nft 1.0.6 still sees the re-added element
 * after its delete and refuses a later overlapping add in the same batch (a safelist removal deletes
 * the pieces of a block and adds the block), so blocks are deleted plainly and the backend handles a
 * missing one (nftables.ts).
 *
 * Elements are added by declaring their set again with them (`add set … { elements = … }`), never by
 * `add element`: before any element command nft 1.0.6 reads back every interval set of the whole
 * ruleset (its cache asks for the elements of every non-concatenated range set, whichever set the
 * command is for), which made one hook take 8-12 s beside 300k /28 blocks (bench/nft-hook.ts). A set
 * declaration needs only the table in nft's cache: the same add then takes ~10 ms at any size, and
 * the kernel still refuses an element that overlaps a block there ("File exists"). A declaration
 * would also create a set that is missing (a table made by hand), so the probe chain's rules, which
 * nft checks against the sets before anything is sent, make it fail as `add element` did. Deletes
 * keep the element command, and its cost, which only admin commands pay (unban, safelist, prune).
 */
export function updateScript(table: string, changes: Readonly<Record<Family, SetChanges>>): string {
  const lines: string[] = [];
  const added = new Set<string>();
  const statement = (verb: 'delete', set: string, elements: readonly string[]): void => {
    for (let i = 0; i < elements.length; i += ELEMENTS_PER_CHUNK) {
      lines.push(`${verb} element inet ${table} ${set} { ${elements.slice(i, i + ELEMENTS_PER_CHUNK).join(', ')} }\n`);
    }
  };
  const declaration = (family: Family, set: string, elements: readonly string[]): void => {
    const { type, blocks } = NFT_SETS[family];
    const flags = set === blocks ? 'flags interval; ' : '';
    for (let i = 0; i < elements.length; i += ELEMENTS_PER_CHUNK) {
      lines.push(`add set inet ${table} ${set} { type ${type}; ${flags}elements = { ${elements.slice(i, i + ELEMENTS_PER_CHUNK).join(', ')} }; }\n`);
      added.add(`${NFT_SETS[family].protocol} saddr @${set}`);
    }
  };
  for (const family of FAMILIES) {
    const { hosts, blocks } = NFT_SETS[family];
    const change = changes[family];
    declaration(family, hosts, change.hostsDel);
    statement('delete', hosts, change.hostsDel);
    statement('delete', blocks, change.blocksDel);
  }
  for (const family of FAMILIES) {
    const { hosts, blocks } = NFT_SETS[family];
    declaration(family, hosts, changes[family].hostsAdd);
    declaration(family, blocks, changes[family].blocksAdd);
  }
  if (added.size === 0) return lines.join('');
  const probe = `inet ${table} ${NFT_PROBE_CHAIN}`;
  return [`add chain ${probe}\n`, ...[...added].map((match) => `add rule ${probe} ${match}\n`), `delete chain ${probe}\n`, ...lines].join('');
}

/**
 * A script as one line, for `nft -i`, which runs each line it reads as one transaction: its
 * commands (a line each, none with a newline inside) joined by semicolons, as nft reads them.
 */
export function oneLine(script: string): string {
  return `${script.split('\n').filter((line) => line !== '').join('; ')}\n`;
}
