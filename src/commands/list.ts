import { safelistCoverage, safelistIndexes } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { ColumnWidths, tableLine } from './table.js';
import { jsonArray } from './json-array.js';
import { formatTime } from '../clock.js';
import type { Config } from '../config/config.js';
import { parseFamily } from '../input/family.js';
import { parseJail } from '../input/names.js';
import type { Coverage } from '../plan/safelist-index.js';
import type { BlockSummary, SummaryFilter } from '../store/bans.js';
import { parseNetwork } from '../address/parse.js';
import type { Family, Network } from '../address/network.js';
import { blocksNothing, readKernel } from '../actions/kernel.js';
import type { LiveIndex } from '../plan/live-index.js';
import type { Store } from '../store/store.js';
import { UsageError } from '../errors.js';
import { parseSince } from '../input/since.js';
import { quote } from '../input/quote.js';
import { openStore } from './open-store.js';

export interface ListOptions {
  readonly json?: boolean;
  readonly jail?: string;
  readonly family?: string;
  readonly status?: string;
  readonly since?: string;
  readonly address?: string;
  /** Read the live set too: each row says whether the kernel blocks it. */
  readonly live?: boolean;
}

export type BlockStatus = 'permanent' | 'temporary' | 'partly safelisted' | 'safelisted' | 'pending' | 'expired';

/**
 * What --status asks for, and the statuses each word takes in: a block partly safelisted is both
 * permanent (the rest of it is blocked) and safelisted.
 */
const STATUS_FILTERS: Readonly<Record<string, readonly BlockStatus[]>> = {
  permanent: ['permanent', 'partly safelisted'],
  temporary: ['temporary'],
  pending: ['pending'],
  expired: ['expired'],
  safelisted: ['safelisted', 'partly safelisted'],
};

function parseStatus(text: string | undefined): readonly BlockStatus[] | undefined {
  if (text === undefined) return undefined;
  const statuses = Object.hasOwn(STATUS_FILTERS, text) ? STATUS_FILTERS[text] : undefined;
  if (statuses === undefined) throw new UsageError(`invalid --status ${quote(text)}: expected permanent, temporary, pending, expired or safelisted`);
  return statuses;
}

/** Where a block stands: the same policy the planner applies, in words; temporary when only bans with an end (`ban --duration`) hold it. */
export function statusOf(summary: BlockSummary, safelisted: Coverage, config: Config, now: number): BlockStatus {
  if (safelisted === 'full') return 'safelisted';
  if (summary.qualifies) return safelisted === 'partial' ? 'partly safelisted' : summary.until === null ? 'permanent' : 'temporary';
  const retention = config.policy.retentionSeconds;
  if (retention !== undefined && summary.last_banned < now - retention) return 'expired';
  return 'pending';
}

/** One row of the listing, as --json writes it. */
export interface Listed {
  readonly address: string;
  readonly family: 4 | 6;
  readonly status: BlockStatus;
  readonly bans: number;
  readonly events: number;
  readonly jails: string[];
  readonly first_banned: string;
  readonly last_banned: string;
  /** With --live: whether the kernel blocks all of it (the live set holds it and its rule is in place). */
  readonly blocked?: boolean;
  /** With --live: how much of it the kernel blocks (a block split around a safelisted address: partial). */
  readonly live?: Coverage;
}

const HEADERS = ['ADDRESS', 'STATUS', 'BANS', 'JAILS', 'LAST BAN'];
const LIVE_HEADERS = [...HEADERS, 'LIVE'];
const LIVE_WORDS: Record<Coverage, string> = { full: 'yes', partial: 'partly', none: 'no' };

/** How much of a block the kernel blocks: what a family's live set holds of it, none where nothing uses that set. */
type LiveLookup = (network: Network) => Coverage;

/**
 * --live: each family's live set read once (one listing, indexed), and the rule and jumps that use
 * it; a family whose set blocks nothing is named on stderr. 100k entries: see README, "list --live".
 */
async function liveLookup(store: Store, ctx: Context, families: readonly Family[]): Promise<LiveLookup> {
  const reading = await readKernel(store, ctx);
  const indexes: Partial<Record<Family, LiveIndex<number | bigint> | undefined>> = {};
  for (const family of families) {
    const nothing = blocksNothing(reading, family);
    if (nothing) {
      ctx.out.warn(`the IPv${family} live set blocks nothing: ${nothing.why} (${nothing.fix})`);
      continue;
    }
    const some = reading.bypassedSome[family];
    if (some.length > 0) ctx.out.warn(`the IPv${family} live set does not see every packet: ${some.join('; ')} (see stickyban doctor for the fix)`);
    indexes[family] = await reading.backend.liveIndex(family);
  }
  return (network) => indexes[network.family]?.coverage(network) ?? 'none';
}

/**
 * Lists every banned block from one snapshot of the store, read a page at a time as the output is
 * written (however slow its reader), so that a store of millions is listed in the memory of a few
 * pages: holding every row cost 4.3 GB at 5M blocks, and JSON.stringify of them all failed. The
 * table's columns are as wide as their widest cell: a first pass over the same snapshot measures
 * them, which costs a second read of the store.
 */
export async function list(options: ListOptions, ctx: Context): Promise<void> {
  const now = ctx.clock();
  const filter: SummaryFilter = {
    family: parseFamily(options.family),
    jail: options.jail === undefined ? undefined : parseJail(options.jail),
    since: options.since === undefined ? undefined : parseSince(options.since, now),
    meets: options.address === undefined ? undefined : parseNetwork(options.address),
  };
  const statuses = parseStatus(options.status);
  const filtered = Object.values(filter).some((value) => value !== undefined) || statuses !== undefined;
  const store = await openStore(ctx, { reading: true });
  try {
    const families = filter.family !== undefined ? [filter.family] : filter.meets !== undefined ? [filter.meets.family] : ([4, 6] as const);
    const live = options.live === true ? await liveLookup(store, ctx, families) : undefined;
    const headers = live ? LIVE_HEADERS : HEADERS;
    await store.readAsync(async () => {
      const safelist = safelistIndexes(store, ctx.config);
      const row = (summary: BlockSummary) => listed(summary, safelistCoverage(safelist, summary.network), ctx.config, now, live?.(summary.network));
      const pages = (): Iterable<Listed[]> => mapPages(store.bans.summaryPages(ctx.config.policy, now, filter), row, statuses && ((listedRow) => statuses.includes(listedRow.status)));
      if (options.json) {
        await ctx.out.stream(jsonArray(pages(), listedJson));
        return;
      }
      const widths = new ColumnWidths(headers);
      let rows = 0;
      for (const page of pages()) {
        for (const row of page) widths.fit(cells(row));
        rows += page.length;
      }
      if (rows === 0) {
        ctx.out.info(filtered ? 'no banned block matches the filters' : 'no bans recorded');
        return;
      }
      await ctx.out.stream(tableChunks(widths.widths, headers, pages()));
    });
  } finally {
    store.close();
  }
}

function listed(summary: BlockSummary, coverage: Coverage, config: Config, now: number, live?: Coverage): Listed {
  return {
    address: summary.address,
    family: summary.network.family,
    status: statusOf(summary, coverage, config, now),
    bans: summary.offences,
    events: summary.events,
    jails: summary.jails.split(','),
    first_banned: formatTime(summary.first_banned),
    last_banned: formatTime(summary.last_banned),
    ...(live === undefined ? {} : { blocked: live === 'full', live }),
  };
}

/**
 * A row as JSON.stringify(rows, null, 2) writes it inside the array (json-array.ts's
 * indentedElement), written field by field: five times faster, a third of the time --json took
 * (1M blocks: 3.2 -> 0.6 s).
 */
export function listedJson(row: Listed): string {
  const jails = row.jails.length === 0 ? '[]' : `[\n      ${row.jails.map((jail) => JSON.stringify(jail)).join(',\n      ')}\n    ]`;
  return (
    `  {\n    "address": ${JSON.stringify(row.address)},\n    "family": ${row.family},\n    "status": ${JSON.stringify(row.status)},\n` +
    `    "bans": ${row.bans},\n    "events": ${row.events},\n    "jails": ${jails},\n` +
    `    "first_banned": ${JSON.stringify(row.first_banned)},\n    "last_banned": ${JSON.stringify(row.last_banned)}` +
    `${row.blocked === undefined ? '' : `,\n    "blocked": ${row.blocked}`}${row.live === undefined ? '' : `,\n    "live": ${JSON.stringify(row.live)}`}\n  }`
  );
}

function cells(row: Listed): string[] {
  const base = [row.address, row.status, String(row.bans), row.jails.join(','), row.last_banned];
  return row.live === undefined ? base : [...base, LIVE_WORDS[row.live]];
}

function* tableChunks(widths: readonly number[], headers: readonly string[], pages: Iterable<Listed[]>): Generator<string> {
  yield `${tableLine(widths, headers)}\n`;
  for (const page of pages) yield `${page.map((row) => tableLine(widths, cells(row))).join('\n')}\n`;
}

/** Each page mapped, then narrowed to what `keep` keeps; a page left empty is skipped. */
function* mapPages<T, U>(pages: Iterable<T[]>, map: (item: T) => U, keep?: (item: U) => boolean): Generator<U[]> {
  for (const page of pages) {
    const mapped = keep ? page.map(map).filter(keep) : page.map(map);
    if (mapped.length > 0) yield mapped;
  }
}
