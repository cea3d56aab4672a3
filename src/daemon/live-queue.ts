// Live-set changes of committed bans, applied in order by one worker: what queued while a tool call
// ran goes to the kernel together in the next one, so a storm of bans costs a few tool calls, not
// one per ban; with a backend that can hold a session (ipset), they are lines to one long-lived
// process, not processes at all. Each batch is then settled (see settleAround): what changed around
// its addresses meanwhile, by other processes, is applied too; when nothing but the changes queued
// here was committed since the batch's, there is nothing to settle and the store is not read.

import type { Cidr, Network } from '../address/network.js';
import { liveBackend, type Surroundings } from '../actions/live.js';
import { settleAround } from '../actions/plan-store.js';
import { describeTarget } from '../firewall/describe.js';
import type { FirewallBackend, LiveSession, UpdateReport } from '../firewall/backend.js';
import { isEmptyDelta, mergeDeltas, type Delta } from '../plan/diff.js';
import type { ChangeMark, Store } from '../store/store.js';
import { CommitRun } from './commit-run.js';

export interface LiveChange {
  readonly network: Network;
  readonly delta: Delta;
  /** The planned entries around `network` once `delta` is applied. */
  readonly after: readonly Cidr<number | bigint>[];
  /** The store's mark the moment the commit that made the change was done (Store.markOnCommit). */
  readonly mark: ChangeMark | undefined;
}

export class LiveQueue {
  private queue: LiveChange[] = [];
  private running: Promise<void> | undefined;
  /** Failed tool calls, for the metrics. */
  failures = 0;
  private lastAbsent: string | undefined;
  /** The commits whose changes were pushed here, in order. */
  private readonly commits = new CommitRun();
  /** The live backend as last found, with the other connections' commits and the config then (see backendOf). */
  private backend: { readonly others: number; readonly config: Surroundings['config']; readonly backend: FirewallBackend } | undefined;
  /** The open session of the backend in use, if it has one (see LiveSession). */
  private session: { readonly target: string; readonly live: LiveSession } | undefined;

  /**
   * `failed`: a batch could not be applied (a full nftables set refuses the whole transaction, a
   * tool failing): the live set lags the store, and a check that counts no entries would not see it.
   */
  constructor(
    private readonly store: Store,
    private readonly around: () => Surroundings,
    private readonly log: (line: string) => void,
    private readonly failed: () => void = () => undefined,
  ) {}

  push(change: LiveChange): void {
    this.commits.note(change.mark);
    this.queue.push(change);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves once everything queued so far is applied (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Waits for the updates under way, then ends the session. */
  async stop(): Promise<void> {
    await this.idle();
    this.session?.live.close();
    this.session = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await this.apply(batch);
      } catch (error) {
        this.failures++;
        this.log(`live set not updated for ${batch.length} change(s): ${(error as Error).message}; restoring it from the store`);
        this.failed();
      }
    }
  }

  private async apply(batch: readonly LiveChange[]): Promise<void> {
    const around = this.around();
    const delta = distinct(mergeDeltas(batch.map((change) => change.delta)));
    if (isEmptyDelta(delta)) return;
    const backend = await this.backendOf(around);
    const target = describeTarget({ ...around.config, backend: backend.name });
    const report = await this.update(backend, target, delta);
    if (report.absent) {
      // Said once, not for every ban until the first restore.
      if (report.absent !== this.lastAbsent) this.log(`bans recorded, not live: ${report.absent}`);
      this.lastAbsent = report.absent;
      return;
    }
    this.lastAbsent = undefined;
    // Every commit since the batch's was one queued here, in order after it: none of them can have
    // landed first and been undone by it, so settling would find nothing.
    if (this.commits.covers(batch.map((change) => change.mark), this.store.changeMark())) return;
    const now = around.clock();
    const settled = distinct(mergeDeltas(this.store.read(() => batch.map((change) => settleAround(this.store, around.config, now, change.network, change.after)))));
    if (!isEmptyDelta(settled)) await this.update(backend, target, settled);
  }

  /**
   * The live backend (the one the last restore loaded), found again only when another process
   * committed (a restore is always one: the daemon runs its restores as jobs) or the config changed,
   * not with every batch.
   */
  private async backendOf(around: Surroundings): Promise<FirewallBackend> {
    const { others } = this.store.changeMark();
    const known = this.backend;
    if (known && known.others === others && known.config === around.config) return known.backend;
    const backend = await liveBackend(this.store, around);
    this.backend = { others, config: around.config, backend };
    return backend;
  }

  /**
   * Through the backend's session when it has one (opened on first use), else the one-shot way. A
   * session is of one target: the backend and the sets or table it names (`target`, describeTarget).
   * A SIGHUP that renames them opens a new one: the old one would go on adding to what the restore
   * after the reload removed, and answer every ban as blocked.
   */
  private async update(backend: FirewallBackend, target: string, delta: Delta): Promise<UpdateReport> {
    if (this.session && this.session.target !== target) {
      this.session.live.close();
      this.session = undefined;
    }
    if (!this.session && backend.openSession) this.session = { target, live: backend.openSession() };
    const session = this.session;
    if (!session) return backend.update(delta);
    try {
      return await session.live.update(delta);
    } catch (error) {
      // Given up on; the next batch opens another. This one goes the one-shot way, which reports
      // a failure of the tool itself.
      session.live.close();
      if (this.session === session) this.session = undefined;
      this.log(`the ${backend.name} session ended (${(error as Error).message}); updating the one-shot way`);
      return backend.update(delta);
    }
  }
}

/** A delta with each entry once per side: a storm may ban one address from two jails at once. */
function distinct(delta: Delta): Delta {
  const once = <K extends number | bigint>(entries: readonly Cidr<K>[]): Cidr<K>[] => {
    const seen = new Set<string>();
    return entries.filter((entry) => {
      const key = `${entry.first}/${entry.prefix}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  return { v4: { add: once(delta.v4.add), del: once(delta.v4.del) }, v6: { add: once(delta.v6.add), del: once(delta.v6.del) } };
}
