// The Prometheus textfile: the store's counts come from `stickyban stats --json`, run as a job and
// only when the store changed (on a store of a million events those queries take seconds, which
// the daemon's loop must not), and the daemon adds its own counters.

import type { Store } from '../store/store.js';
import { jobFailure, type Jobs } from './jobs.js';
import { renderMetrics, writeMetrics, type DaemonCounters, type MetricsSnapshot } from './metrics.js';

interface Stats {
  readonly addresses: number;
  readonly events: number;
  readonly safelist: number;
  readonly by_jail: ReadonlyArray<{ key: string | number; addresses: number }>;
  readonly by_source: ReadonlyArray<{ key: string | number; addresses: number }>;
  readonly last_restore: { started_at: number; seconds: number; entries4: number; entries6: number } | null;
}

export class MetricsWriter {
  private seen: string | undefined;
  private stats: Stats | undefined;
  /** Why the file could not be written last time, if it could not: said once, not every interval. */
  private failing: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly jobs: Jobs,
    private readonly path: () => string | undefined,
    private readonly counters: () => DaemonCounters,
    private readonly log: (line: string) => void,
  ) {}

  /** Writes the file; the store's counts are read again only if it changed since they were. */
  async write(): Promise<void> {
    const path = this.path();
    if (path === undefined) return;
    const mark = this.store.changeMark();
    const version = `${mark.others}:${mark.own}:${mark.bookkeeping}`;
    if (version !== this.seen || this.stats === undefined) {
      const result = await this.jobs.run(['stats', '--json']);
      if (result.code !== 0) {
        if (!result.stopped) this.log(`error: metrics not updated: ${jobFailure(result)}`);
        return;
      }
      this.stats = JSON.parse(result.stdout) as Stats;
      this.seen = version;
    }
    try {
      writeMetrics(path, renderMetrics(snapshotOf(this.stats, this.counters())));
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.failing) this.log(`error: metrics not written: ${message}`);
      this.failing = message;
      return;
    }
    if (this.failing !== undefined) this.log('metrics written again');
    this.failing = undefined;
  }
}

function snapshotOf(stats: Stats, counters: DaemonCounters): MetricsSnapshot {
  const last = stats.last_restore;
  return {
    addresses: stats.addresses,
    events: stats.events,
    byJail: stats.by_jail,
    bySource: stats.by_source,
    safelist: stats.safelist,
    ...(last ? { lastRestore: { startedAt: last.started_at, durationMs: Math.round(last.seconds * 1000), entries4: last.entries4, entries6: last.entries6 } } : {}),
    ...counters,
  };
}
