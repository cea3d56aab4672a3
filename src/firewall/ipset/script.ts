// The text of `ipset restore`: the sets' create options, and `add` lines for a plan, written as it
// is planned, in chunks that stream to ipset's stdin.

import type { Cidr, Family } from '../../address/network.js';
import { formatCidr } from '../../address/format.js';
import { countPlanned, type FamilyPlanSource, type PlanSink } from '../../plan/stream.js';

const LINES_PER_CHUNK = 2048;
const MIN_MAXELEM = 65_536;

/** The `ipset restore` line for one entry; hash:net cannot hold a /0, so a /0 is its two halves. */
export function ipsetLines<K extends number | bigint>(verb: 'add' | 'del', set: string, family: Family, cidr: Cidr<K>): string {
  if (cidr.prefix !== 0) return `${verb} ${set} ${formatCidr(family, cidr as Cidr<number> & Cidr<bigint>)}\n`;
  const halves = family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
  return halves.map((half) => `${verb} ${set} ${half}\n`).join('');
}

/** `add SET ENTRY` lines of `ipset restore` for what the source plans, in chunks of a few thousand lines. */
export function* addLines<K extends number | bigint>(family: Family, set: string, source: FamilyPlanSource<K>): Generator<string> {
  const lines = new AddLines<K>(family, set);
  for (const _page of source.pages(lines)) yield* lines.takeFull();
  yield* lines.end();
}

/**
 * A plan sink that writes `add` lines, in chunks of LINES_PER_CHUNK. The chunks of a page wait until
 * the page is planned: one or two for a page of blocks, more only where the safelist cuts blocks
 * into pieces (2 × bits at most each).
 */
class AddLines<K extends number | bigint> implements PlanSink<K> {
  private readonly full: string[] = [];
  private readonly head: string;
  private chunk = '';
  private lines = 0;

  constructor(
    private readonly family: Family,
    private readonly set: string,
  ) {
    this.head = `add ${set} `;
  }

  entry(cidr: Cidr<K>): void {
    this.chunk += cidr.prefix === 0 ? ipsetLines('add', this.set, this.family, cidr) : `${this.head}${formatCidr(this.family, cidr as Cidr<number> & Cidr<bigint>)}\n`;
    if (++this.lines === LINES_PER_CHUNK) {
      this.full.push(this.chunk);
      this.chunk = '';
      this.lines = 0;
    }
  }

  /** The full chunks not taken yet. */
  takeFull(): string[] {
    return this.full.splice(0);
  }

  /** Every chunk not taken yet, the last one partly full. */
  end(): string[] {
    const chunks = this.takeFull();
    if (this.chunk) chunks.push(this.chunk);
    this.chunk = '';
    this.lines = 0;
    return chunks;
  }
}

/**
 * A script that `ipset restore` loads into a namespace without our sets: each set created as a
 * rebuild creates it, then filled. What `stickyban export --format ipset` prints. The source runs
 * twice: once to count the entries the create line sizes the set for, once to write them, so that
 * none are held.
 */
export function* setScript<K extends number | bigint>(family: Family, set: string, source: FamilyPlanSource<K>): Generator<string> {
  yield `create ${set} ${createOptions(family, countPlanned(source))}\n`;
  yield* addLines(family, set, source);
}

/**
 * The hash sized for about `entries` (ipset grows it if needed), and room for twice `bound`: the
 * hook's adds until the next restore. maxelem is only a limit, so a generous one costs nothing;
 * a hash much larger than needed costs memory and time to create and destroy.
 */
export function createOptions(family: Family, entries: number, bound: number = entries): string {
  const maxelem = Math.max(MIN_MAXELEM, 2 ** Math.ceil(Math.log2(bound * 2 + 1)));
  const hashsize = Math.max(1024, 2 ** Math.ceil(Math.log2(entries / 4 + 1)));
  return `hash:net family ${family === 4 ? 'inet' : 'inet6'} hashsize ${hashsize} maxelem ${maxelem}`;
}
