import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createContext, type Context } from './context.js';
import type { GlobalOptions } from './option-spec.js';
import { HEAL_INTERVAL_SECONDS } from '../config/config.js';
import { Daemon, type DaemonSettings } from '../daemon/daemon.js';
import { metricsFileProblem } from '../daemon/metrics.js';
import { LockHeldError, OperationalError, UsageError } from '../errors.js';
import { quote, shownPath } from '../input/quote.js';
import { parseDuration } from '../input/duration.js';
import { replacedBytes } from '../input/path-text.js';
import { loadBackend } from '../firewall/select.js';
import { onSignals } from '../daemon/signals.js';
import { ApplyLock } from '../store/lock.js';
import { Store } from '../store/store.js';

export interface DaemonOptions extends GlobalOptions {
  readonly healInterval?: string;
  readonly metricsFile?: string;
}

/** Runs until SIGTERM or SIGINT; SIGHUP re-reads the config file. Logs one line per event to stderr. */
export async function daemon(options: DaemonOptions, ctx: Context): Promise<void> {
  const log = (line: string) => ctx.out.warn(`daemon: ${line}`);
  const settingsFrom = async (context: Context): Promise<DaemonSettings> => ({
    config: context.config,
    backend: await loadBackend(context.config, context.runner),
    healIntervalSeconds: options.healInterval === undefined ? context.config.daemon.healIntervalSeconds : healInterval(options.healInterval),
    metricsFile: checkedMetricsFile(options.metricsFile ?? context.config.daemon.metricsFile, options.metricsFile === undefined ? 'metrics_file in the config' : '--metrics-file', context.config.db),
  });
  // What would otherwise fail on every cycle, quietly, for as long as it runs.
  if (process.getuid?.() !== 0) throw new OperationalError('the daemon changes the firewall and needs root (CAP_NET_ADMIN); run it as root');
  const settings = await settingsFrom(ctx);
  // Before the store is opened: a second daemon (another version) must not migrate it first.
  const alone = await ApplyLock.acquire(ctx.config.db, { kind: 'daemon', waitMs: 0 }).catch((error: unknown) => {
    if (error instanceof LockHeldError) throw new OperationalError(`another stickyban daemon runs on ${shownPath(ctx.config.db)} (it holds ${shownPath(`${ctx.config.db}.daemon.lock`)}): one daemon per store`);
    throw error;
  });
  try {
    // Its waits for a busy store are timers, never SQLite's own blocking wait.
    const store = Store.open({ path: ctx.config.db, busyTimeoutMs: ctx.config.busyTimeoutMs, busyWaitMs: 0 });
    try {
      await runDaemon(store, settings, () => createContext(options).then(settingsFrom), ctx, log);
    } finally {
      store.close();
      log('stopped');
    }
  } finally {
    alone.release();
  }
}

/**
 * The daemon on its store until it stops; throws what stopped it with exit 1 (the store gone).
 * `reread`: the settings from the config file as it is now (SIGHUP).
 */
async function runDaemon(store: Store, settings: DaemonSettings, reread: () => Promise<DaemonSettings>, ctx: Context, log: (line: string) => void): Promise<void> {
  const stop = new AbortController();
  // Said as the command's error (exit 1) once every service has stopped.
  let failure: string | undefined;
  const fail = (line: string) => {
    failure ??= line;
    stop.abort();
  };
  const running = new Daemon(settings, { store, clock: ctx.clock, runner: ctx.runner, env: ctx.env, cli: ownCommand(), log, fail });
  const stopListening = onSignals({
    stop: (signal) => {
      if (stop.signal.aborted) return;
      log(`${signal}: stopping`);
      stop.abort();
    },
    reload: () => {
      reread()
        .then((next) => {
          // The store is opened once: a new one takes a restart, or the daemon would record bans
          // in one and restore, count and check another.
          if (resolve(next.config.db) !== resolve(ctx.config.db)) throw new Error(`db ${next.config.db} is not the store this daemon runs on (${ctx.config.db}); a new store takes a restart`);
          running.reload(next);
          log(`SIGHUP: reloaded ${next.config.file ?? 'the defaults (no config file)'}`);
        })
        .catch((error: Error) => log(`SIGHUP: kept the running config: ${error.message}`));
    },
  });
  try {
    await running.run(stop.signal);
  } finally {
    stopListening();
  }
  if (failure !== undefined) throw new OperationalError(failure);
}

/** How the daemon runs a command of ours as a job: this very node, its flags and entry point. */
function ownCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

/** The metrics file must be writable where it is: its directory exists, and it is not a directory itself. */
function checkedMetricsFile(path: string | undefined, what: string, db: string): string | undefined {
  if (path === undefined) return undefined;
  if (path === '') throw new UsageError(`invalid ${what} "": expected a file path`);
  const replaced = replacedBytes(path);
  if (replaced) throw new UsageError(`invalid ${what} ${quote(path)}: ${replaced}`);
  const dir = dirname(resolve(path));
  // The store's directory holds the store's own files (its log, locks, spool), each of which the rename would replace.
  if (dir === dirname(resolve(db))) throw new UsageError(`invalid ${what} ${quote(path)}: it is in the store's directory, among the store's own files; expected a file of its own, such as /var/lib/prometheus/node-exporter/stickyban.prom`);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`invalid ${what} ${quote(path)}: directory ${dir} does not exist`);
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new UsageError(`invalid ${what} ${quote(path)}: it is a directory; expected a file path`);
  // Written by renaming a temporary file over it: a device or a pipe there would be replaced, and so
  // would a file of value (the store itself).
  if (existing && !existing.isFile()) throw new UsageError(`invalid ${what} ${quote(path)}: it is not a regular file; expected a file path`);
  const problem = metricsFileProblem(path);
  if (problem !== undefined) throw new UsageError(`invalid ${what} ${quote(path)}: it ${problem}; expected a file of its own, such as /var/lib/prometheus/node-exporter/stickyban.prom`);
  // Where it is now, whatever directory the daemon's work runs in later.
  return resolve(path);
}

/** Bounded as heal_interval in the config. */
function healInterval(text: string): number {
  return parseDuration(text, '--heal-interval', HEAL_INTERVAL_SECONDS.min, HEAL_INTERVAL_SECONDS.max);
}
