// `stickyban daemon`: one process that prunes on a cron schedule, checks every few seconds that the
// blocklist is still in place (and restores it from the store when a foreign reload removed it),
// rebuilds it from the store on a second schedule whatever the check finds, folds spooled bans and
// writes metrics. Every task runs on one queue, so a prune never overlaps a repair. A failing cycle
// is logged and the next one tries again; the daemon itself keeps running.

import { describeProblems, healLive } from '../actions/heal.js';
import { drainSpool } from '../actions/ban.js';
import { prune } from '../actions/prune.js';
import { restoreLive } from '../actions/restore.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend } from '../firewall/backend.js';
import type { Retirer } from '../firewall/select.js';
import { isEmptyDelta } from '../plan/diff.js';
import type { Store } from '../store/store.js';
import { renderMetrics, writeMetrics, type MetricsSnapshot } from './metrics.js';
import { daemonSchedules } from '../config/schedules.js';
import { schedule, type Schedule } from './schedule.js';

export interface DaemonSettings {
  readonly config: Config;
  readonly backend: FirewallBackend;
  /** Removes what backends used before this one left in place, after a restore. */
  readonly retire?: Retirer;
  readonly healIntervalSeconds: number;
  readonly metricsFile: string | undefined;
}

export class Daemon {
  private queue: Promise<void> = Promise.resolve();
  private cyclePending = false;
  private timer: NodeJS.Timeout | undefined;
  private prunes: Schedule | undefined;
  private resyncs: Schedule | undefined;
  private repairs = 0;
  private cycleErrors = 0;
  private lastPrune: MetricsSnapshot['lastPrune'];

  constructor(
    private settings: DaemonSettings,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
    /** How prune yields the store to ban hooks between transactions (a test with mocked timers passes a no-op). */
    private readonly pause?: (ms: number) => Promise<void>,
  ) {}

  /** Runs a first check at once, then on the interval; schedules the prune. */
  start(): void {
    this.applySettings(this.settings);
    this.requestCycle();
  }

  /**
   * New settings from a SIGHUP: the schedule and interval restart, the queue carries on. Settings
   * that cannot be scheduled throw before anything changed, so the running ones stay.
   */
  reload(settings: DaemonSettings): void {
    this.applySettings(settings);
  }

  private applySettings(settings: DaemonSettings): void {
    const { prune, resync } = daemonSchedules(settings.config.daemon);
    const prunes = schedule(prune, () => this.enqueue(() => this.prune()));
    let resyncs: Schedule | undefined;
    try {
      resyncs = schedule(resync, () => this.enqueue(() => this.resync()));
    } catch (error) {
      prunes?.stop();
      throw error;
    }
    this.stopTimers();
    this.settings = settings;
    this.prunes = prunes;
    this.resyncs = resyncs;
    this.timer = setInterval(() => this.requestCycle(), settings.healIntervalSeconds * 1000);
    this.log(
      `started: ${settings.backend.name} backend, checking every ${settings.healIntervalSeconds} s, ` +
        `${planned('pruning', prune.expression, prunes)}, ${planned('resyncing', resync.expression, resyncs)}`,
    );
  }

  /** Stops scheduling and waits for the running task. */
  async stop(): Promise<void> {
    this.stopTimers();
    await this.queue;
  }

  /** Resolves once everything queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    this.prunes?.stop();
    this.resyncs?.stop();
  }

  private requestCycle(): void {
    // A slow cycle (a restore of a million entries) must not pile up more behind it.
    if (this.cyclePending) return;
    this.cyclePending = true;
    this.enqueue(async () => {
      this.cyclePending = false;
      await this.cycle();
    });
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: Error) => {
      this.cycleErrors++;
      this.log(`error: ${error.message}`);
    });
  }

  private async cycle(): Promise<void> {
    const { config, backend } = this.settings;
    const drained = drainSpool(this.store, config, this.clock());
    if (drained) {
      if (!isEmptyDelta(drained.delta)) await backend.update(drained.delta);
      this.log(`folded ${drained.folded} spooled ban(s) into the store`);
    }
    const healed = await healLive(this.store, config, this.clock, backend, 'daemon', this.settings.retire);
    if (healed.restore) {
      this.repairs++;
      this.log(
        `repaired: ${describeProblems(healed.problems)}; restored ${healed.restore.report.v4} IPv4 and ${healed.restore.report.v6} IPv6 entries in ${(healed.restore.durationMs / 1000).toFixed(2)} s`,
      );
      for (const note of healed.restore.retired) this.log(note);
    }
    this.writeMetrics();
  }

  private async prune(): Promise<void> {
    const { config, backend } = this.settings;
    const retention = config.policy.retentionSeconds;
    if (retention === undefined) return;
    const report = await prune(this.store, config, this.clock(), backend, { olderThan: retention, includeManual: false, dryRun: false, ...(this.pause ? { pause: this.pause } : {}) });
    this.lastPrune = { at: this.clock(), addresses: report.addresses.length };
    this.log(`pruned ${report.addresses.length} addresses (${report.events} events); ${report.liveRemoved} live entries removed`);
    this.writeMetrics();
  }

  /**
   * A full restore whatever the presence check says: it sees sets, chains and rules, not entries, so
   * only this repairs an entry deleted by hand, or one left behind by a ban hook killed between
   * adding its entry and settling (see settleAround in actions/plan-store.ts).
   */
  private async resync(): Promise<void> {
    const { config, backend } = this.settings;
    const result = await restoreLive(this.store, config, this.clock, backend, 'resync', this.settings.retire);
    this.log(`resynced: restored ${result.report.v4} IPv4 and ${result.report.v6} IPv6 entries in ${(result.durationMs / 1000).toFixed(2)} s`);
    for (const note of result.retired) this.log(note);
    this.writeMetrics();
  }

  private writeMetrics(): void {
    const path = this.settings.metricsFile;
    if (!path) return;
    const snapshot = this.store.read(() => {
      const totals = this.store.bans.totals();
      const last = this.store.restores.last();
      return {
        addresses: totals.addresses,
        events: totals.events,
        byJail: this.store.bans.countBy('jail'),
        bySource: this.store.bans.countBy('source'),
        safelist: this.store.safelist.count() + this.settings.config.safelist.length,
        ...(last ? { lastRestore: { startedAt: last.started_at, durationMs: last.duration_ms, entries4: last.entries4, entries6: last.entries6 } } : {}),
        repairs: this.repairs,
        ...(this.lastPrune ? { lastPrune: this.lastPrune } : {}),
        cycleErrors: this.cycleErrors,
      };
    });
    writeMetrics(path, renderMetrics(snapshot));
  }
}

/** "pruning on "17 4 * * *" (next …)", or "never pruning" for a schedule turned off. */
function planned(what: string, expression: string, job: Schedule | undefined): string {
  return job ? `${what} on "${expression}" (next ${job.next().toISOString()})` : `never ${what}`;
}
