// The dry-run backend: says what a real one would do and changes nothing. `restore --dry-run`
// uses it to show the plan.

import { formatCidr } from '../address/format.js';
import type { Config } from '../config/config.js';
import type { Delta } from '../plan/diff.js';
import type { FamilyPlan } from '../plan/plan.js';
import { collect, type PlanStream } from '../plan/stream.js';
import type { ApplyReport, FirewallBackend, Inspection, LiveCheck, UpdateReport } from './backend.js';
import { describeTarget } from './describe.js';
import { count } from '../input/plural.js';

/** Where a dry run says what it would do: a line for everyone, and a detail for --verbose. */
export interface DryRunLog {
  info(line: string): void;
  detail(line: string): void;
}

export class DryRunBackend implements FirewallBackend {
  readonly name;

  constructor(
    private readonly config: Config,
    private readonly out: DryRunLog,
  ) {
    this.name = config.backend;
  }

  async apply(makePlan: () => PlanStream): Promise<ApplyReport> {
    // Needs every entry at once (it prints counts first).
    const plan = collect(makePlan());
    this.out.info(`dry run: backend ${this.config.backend} would load ${describeTarget(this.config)}; nothing is changed`);
    this.describe('IPv4', 4, plan.v4);
    this.describe('IPv6', 6, plan.v6);
    return { v4: plan.v4.entries.length, v6: plan.v6.entries.length, notes: [] };
  }

  async update(delta: Delta): Promise<UpdateReport> {
    const added = delta.v4.add.length + delta.v6.add.length;
    const removed = delta.v4.del.length + delta.v6.del.length;
    this.out.info(`dry run: would add ${added} and remove ${count(removed, 'live entry', 'live entries')}`);
    return { added, removed };
  }

  async presence(): Promise<LiveCheck[]> {
    return [];
  }

  async retire(): Promise<string[]> {
    return [];
  }

  async leftovers(): Promise<string[]> {
    return [];
  }

  async inspect(): Promise<Inspection> {
    return { checks: [{ what: `dry run of ${this.config.backend}`, ok: true }], entries: { v4: undefined, v6: undefined } };
  }

  /** A dry run puts nothing in place. */
  async holds(): Promise<boolean> {
    return false;
  }

  async liveIndex(): Promise<undefined> {
    return undefined;
  }

  private describe<K extends number | bigint>(label: string, family: 4 | 6, plan: FamilyPlan<K>): void {
    this.out.info(
      `${label}: ${count(plan.entries.length, 'entry', 'entries')} from ${count(plan.banned, 'banned block')} (${plan.dropped} dropped and ${plan.split} split by the safelist)`,
    );
    for (const entry of plan.entries) this.out.detail(`  ${formatCidr(family, entry as never)}`);
  }
}
