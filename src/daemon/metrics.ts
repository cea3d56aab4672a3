// Prometheus metrics as a node_exporter textfile: written to a temp file and renamed, so the
// collector never reads half a file.

import { closeSync, readSync } from 'node:fs';
import { openRegular } from '../files/open-regular.js';
import { writeFileAtomically } from '../files/write-atomically.js';

/** What the daemon itself counts. */
export interface DaemonCounters {
  readonly repairs: number;
  /** Rules and jumps put back after a firewall change (no restore needed). */
  readonly relinks: number;
  readonly lastPrune?: { readonly at: number; readonly addresses: number };
  /** Checks, jobs and live updates that failed (see the log). */
  readonly cycleErrors: number;
  /** Bans recorded through the daemon, and the transactions they took. */
  readonly bans: number;
  readonly received: number;
  readonly commits: number;
  /** The fleet sync, when [fleet] url is set. */
  readonly fleet?: {
    readonly connected: boolean;
    readonly lastSync?: number;
    /** Local events not published yet. */
    readonly waiting: number;
    readonly pushed: number;
    readonly applied: number;
    readonly skipped: number;
  };
}

export interface MetricsSnapshot extends DaemonCounters {
  readonly addresses: number;
  readonly events: number;
  readonly byJail: ReadonlyArray<{ key: string | number; addresses: number }>;
  readonly bySource: ReadonlyArray<{ key: string | number; addresses: number }>;
  readonly safelist: number;
  readonly lastRestore?: { readonly startedAt: number; readonly durationMs: number; readonly entries4: number; readonly entries6: number };
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: ReadonlyArray<[labels: Record<string, string>, value: number]>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(snapshot: MetricsSnapshot): string {
  const metrics: Metric[] = [
    { name: 'stickyban_addresses', help: 'Banned addresses and blocks with active bans in the store.', type: 'gauge', samples: [[{}, snapshot.addresses]] },
    { name: 'stickyban_events', help: 'Ban events in the store, lifted ones included.', type: 'gauge', samples: [[{}, snapshot.events]] },
    { name: 'stickyban_jail_addresses', help: 'Addresses with active bans, per jail.', type: 'gauge', samples: snapshot.byJail.map((row) => [{ jail: String(row.key) }, row.addresses]) },
    { name: 'stickyban_source_addresses', help: 'Addresses with active bans, per source.', type: 'gauge', samples: snapshot.bySource.map((row) => [{ source: String(row.key) }, row.addresses]) },
    { name: 'stickyban_safelist_entries', help: 'Safelist entries (store, config file and built-in).', type: 'gauge', samples: [[{}, snapshot.safelist]] },
    ...(snapshot.lastRestore
      ? ([
          { name: 'stickyban_last_restore_timestamp_seconds', help: 'When the last restore started.', type: 'gauge', samples: [[{}, snapshot.lastRestore.startedAt]] },
          { name: 'stickyban_last_restore_duration_seconds', help: 'How long the last restore took.', type: 'gauge', samples: [[{}, snapshot.lastRestore.durationMs / 1000]] },
          {
            name: 'stickyban_last_restore_entries',
            help: 'Entries the last restore loaded, per family (the ban hook adds more until the next one).',
            type: 'gauge',
            samples: [[{ family: 'ipv4' }, snapshot.lastRestore.entries4], [{ family: 'ipv6' }, snapshot.lastRestore.entries6]],
          },
        ] as Metric[])
      : []),
    { name: 'stickyban_heal_repairs_total', help: 'Times the daemon found the blocklist removed and restored it.', type: 'counter', samples: [[{}, snapshot.repairs]] },
    { name: 'stickyban_heal_relinks_total', help: 'Times the daemon put back the rule and jumps a firewall change removed.', type: 'counter', samples: [[{}, snapshot.relinks]] },
    ...(snapshot.lastPrune
      ? ([
          { name: 'stickyban_last_prune_timestamp_seconds', help: 'When the daemon last pruned.', type: 'gauge', samples: [[{}, snapshot.lastPrune.at]] },
          { name: 'stickyban_last_prune_addresses', help: 'Addresses the last prune removed.', type: 'gauge', samples: [[{}, snapshot.lastPrune.addresses]] },
        ] as Metric[])
      : []),
    { name: 'stickyban_daemon_errors_total', help: 'Daemon checks, jobs and live updates that failed (see the log).', type: 'counter', samples: [[{}, snapshot.cycleErrors]] },
    { name: 'stickyban_daemon_bans_total', help: 'Bans recorded through the daemon since it started.', type: 'counter', samples: [[{}, snapshot.bans]] },
    { name: 'stickyban_daemon_bans_received_total', help: 'Bans handed to the daemon (socket and spool), replays and repeats included.', type: 'counter', samples: [[{}, snapshot.received]] },
    { name: 'stickyban_daemon_commits_total', help: 'Transactions those bans took (bans that arrive together share one).', type: 'counter', samples: [[{}, snapshot.commits]] },
    ...(snapshot.fleet ? fleetMetrics(snapshot.fleet) : []),
  ];
  return metrics
    .map((metric) =>
      [
        `# HELP ${metric.name} ${metric.help}`,
        `# TYPE ${metric.name} ${metric.type}`,
        ...metric.samples.map(([labels, value]) => {
          const text = Object.entries(labels).map(([key, label]) => `${key}="${escapeLabel(label)}"`).join(',');
          return `${metric.name}${text ? `{${text}}` : ''} ${value}`;
        }),
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}

/** The textfile directory may belong to node_exporter's user: writeFileAtomically never follows a link put there. */
function fleetMetrics(fleet: NonNullable<DaemonCounters['fleet']>): Metric[] {
  return [
    { name: 'stickyban_fleet_connected', help: 'Whether the daemon is connected to the fleet database.', type: 'gauge', samples: [[{}, fleet.connected ? 1 : 0]] },
    ...(fleet.lastSync === undefined ? [] : [{ name: 'stickyban_fleet_last_sync_timestamp_seconds', help: 'When the last sync with the fleet ended well.', type: 'gauge', samples: [[{}, fleet.lastSync]] } as Metric]),
    { name: 'stickyban_fleet_waiting_events', help: 'Local ban events not published to the fleet yet.', type: 'gauge', samples: [[{}, fleet.waiting]] },
    { name: 'stickyban_fleet_published_total', help: 'Local ban events published since the daemon started.', type: 'counter', samples: [[{}, fleet.pushed]] },
    { name: 'stickyban_fleet_applied_total', help: 'Events of other hosts applied since the daemon started.', type: 'counter', samples: [[{}, fleet.applied]] },
    { name: 'stickyban_fleet_skipped_total', help: 'Events of other hosts skipped as invalid or refused (see the log).', type: 'counter', samples: [[{}, fleet.skipped]] },
  ];
}

/** Writes the file, unless what is there is not one of ours (metricsFileProblem). */
export function writeMetrics(path: string, text: string): void {
  const problem = metricsFileProblem(path);
  if (problem !== undefined) throw new Error(`${path} ${problem}`);
  writeFileAtomically(path, text, 0o644);
}

/** How every file renderMetrics writes begins. */
const OURS = Buffer.from('# HELP stickyban_');

/**
 * Why the file at `path` is not one to replace: the rename replaces whatever is there, and a
 * metrics_file set to the store's path (or any file of value) lost it whole to a page of counters.
 * Absent, or a file this writer wrote (its first bytes tell), is fine. Reads a few bytes,
 * never through a link.
 */
export function metricsFileProblem(path: string): string | undefined {
  let opened;
  try {
    opened = openRegular(path);
  } catch (error) {
    return `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (opened === 'absent') return undefined;
  if (opened === 'link') return 'is a symbolic link, not a metrics file stickyban wrote';
  if (opened === 'not a regular file') return 'is not a regular file';
  const { fd } = opened;
  try {
    const head = Buffer.alloc(OURS.length);
    const read = readSync(fd, head, 0, head.length, 0);
    if (read === OURS.length && head.equals(OURS)) return undefined;
    // Empty is not ours either: stickyban never leaves one (it renames a written file into place), and
    // an empty file may be of value all the same (a lock file, whose lock the rename would break).
    return read === 0 ? 'is an empty file stickyban did not write, and would be replaced' : 'holds something else than the metrics stickyban writes, and would be replaced by them';
  } finally {
    closeSync(fd);
  }
}
