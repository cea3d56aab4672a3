// `stickyban daemon`: the always-on centre. It takes bans over its socket and records them as the
// store's single writer for what arrives through it (group commit, answered after the commit),
// applies them live through one worker, folds the spool within a second, moves the store's WAL into
// its database file once the store is quiet, checks every few seconds that the blocklist is in
// place and repairs it, prunes and resyncs on cron schedules and writes metrics. Heavy work
// (restore, prune, the store's counts) runs as jobs, commands of their own, so the loop never
// blocks: a socket client, a check or a SIGTERM never waits behind a busy store, a held lock or a
// long restore.
//
// The daemon reports what happens through its log and never decides an exit code: failures of a
// kind are the CLI edge's to map (commands/daemon.ts).

import { newBanEvent, describeBan, refuseReusedEventId } from '../actions/ban.js';
import { parseBanRequest, refuseHarmful } from '../actions/ban-request.js';
import type { Surroundings } from '../actions/live.js';
import { readPruneJson, type PruneJson } from '../actions/prune.js';
import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { OperationalError } from '../errors.js';
import type { Config } from '../config/config.js';
import { formatNetwork } from '../address/format.js';
import { daemonSchedules } from '../config/schedules.js';
import type { Runner } from '../exec/run.js';
import type { FirewallBackend } from '../firewall/backend.js';
import type { Store } from '../store/store.js';
import { BanWriter } from './ban-writer.js';
import { ConfigWatch } from './config-watch.js';
import { Healer } from './healer.js';
import { IdleCheckpoint } from './idle-checkpoint.js';
import { jobFailure, Jobs, type JobResult } from './jobs.js';
import { LiveQueue } from './live-queue.js';
import { MetricsWriter } from './metrics-writer.js';
import { runServices, type Service } from './runner.js';
import { schedule, type Schedule } from './schedule.js';
import type { Request, Response } from './socket/protocol.js';
import { SocketServer } from './socket/server.js';
import { SpoolFolder } from './spool-folder.js';
import { daemonAppliers } from './fleet-appliers.js';
import type { FleetSync } from '../fleet/sync.js';
import { VERSION } from '../version.js';
import { coalesce } from './watch/coalesce.js';
import { watchTargets } from './watch/events.js';
import { NftMonitor } from './watch/nft-monitor.js';
import { OneAtATime } from './one-at-a-time.js';

/** What SIGHUP may change: everything but the store and the socket, which a restart changes. */
export interface DaemonSettings {
  readonly config: Config;
  /** The configured backend: the one the checks look at and a repair loads. */
  readonly backend: FirewallBackend;
  readonly healIntervalSeconds: number;
  readonly metricsFile: string | undefined;
}

export interface DaemonDeps {
  /** Opened with busyWaitMs 0: its waits are timers (Store.writeAsync). */
  readonly store: Store;
  readonly clock: Clock;
  readonly runner: Runner;
  /** The environment the lockout guard reads (the daemon's own: no SSH client of its own). */
  readonly env: NodeJS.ProcessEnv;
  /** How to run a command of ours as a job: node, its flags, the CLI. */
  readonly cli: readonly string[];
  readonly log: (line: string) => void;
  /** Ends the daemon with a failure (the store went from under it): said, then every service stopped. */
  readonly fail: (line: string) => void;
}

/** How often the store's path is looked at when no ban comes (the writer looks before each commit), and the config file. */
const STORE_WATCH_MS = 5000;

export class Daemon {
  private readonly stopping = new AbortController();
  private storeWatch: NodeJS.Timeout | undefined;
  private readonly configWatch: ConfigWatch;
  private readonly jobs: Jobs;
  private readonly live: LiveQueue;
  /** The restores repairLive asks for (see there). */
  private readonly repairs = new OneAtATime(async () => {
    if (!this.stopping.signal.aborted) await this.logJob('repair', ['restore', '--trigger', 'daemon']);
  });
  private readonly writer: BanWriter;
  private readonly healer: Healer;
  private readonly spool: SpoolFolder;
  private readonly checkpoints: IdleCheckpoint;
  private readonly metrics: MetricsWriter;
  private readonly socket: SocketServer;
  private readonly monitor: NftMonitor;
  private readonly changed: { trigger(): void; cancel(): void };
  private timer: NodeJS.Timeout | undefined;
  private prunes: Schedule | undefined;
  private resyncs: Schedule | undefined;
  private lastPrune: { at: number; addresses: number } | undefined;
  /** The fleet sync, when [fleet] url is set (loaded only then: it brings the PostgreSQL client). */
  private fleet: FleetSync | undefined;
  private jobFailures = 0;

  constructor(
    private settings: DaemonSettings,
    private readonly deps: DaemonDeps,
  ) {
    const { store, clock, log } = deps;
    const config = () => this.settings.config;
    this.jobs = new Jobs(deps.cli, config);
    this.live = new LiveQueue(store, (): Surroundings => ({ config: this.settings.config, clock, runner: deps.runner }), log, () => void this.repairLive());
    this.writer = new BanWriter(store, config, clock, this.live, this.stopping.signal);
    this.healer = new Healer(store, () => this.settings, clock, this.jobs, log, deps.runner);
    this.spool = new SpoolFolder(store, this.writer, clock, log);
    this.checkpoints = new IdleCheckpoint(store, log);
    this.metrics = new MetricsWriter(store, this.jobs, () => this.settings.metricsFile, () => this.counters(), log);
    this.socket = new SocketServer(settings.config.daemon.socket, (request) => this.answer(request), log);
    this.writer.crowded = (ms) => this.socket.clientsWithin(ms) > 1;
    this.writer.onStoreGone = (why) => this.storeGone(why);
    this.configWatch = new ConfigWatch(log);
    this.configWatch.read(settings.config.file);
    // A reload comes as a burst of deletions: one re-link once it is over (or 100 ms into it).
    this.changed = coalesce(() => this.healer.relinkThenCheck(), CHANGE_QUIET_MS, CHANGE_MAX_WAIT_MS);
    this.monitor = new NftMonitor(() => watchTargets(this.settings.config), () => this.changed.trigger(), log);
  }

  /** Runs until `signal` aborts; resolves once every service has stopped. */
  async run(signal: AbortSignal): Promise<void> {
    const services: Service[] = [
      { name: 'the live updates', start: () => undefined, stop: () => this.live.stop() },
      { name: 'the jobs', start: () => undefined, stop: () => this.jobs.stop() },
      {
        name: 'the writer',
        start: () => undefined,
        // Waits for the store end at once; their clients do the work themselves.
        stop: () => this.stopping.abort(),
      },
      { name: 'the socket', start: () => this.socket.start(), stop: () => this.socket.stop() },
      { name: 'the spool', start: () => this.spool.start(), stop: () => this.spool.stop() },
      { name: 'the idle checkpoints', start: () => this.checkpoints.start(), stop: () => this.checkpoints.stop() },
      {
        name: 'the firewall watch',
        start: () => this.monitor.start(),
        stop: () => {
          this.monitor.stop();
          this.changed.cancel();
        },
      },
      { name: 'the fleet sync', start: () => this.startFleet(), stop: () => this.fleet?.stop() },
      // What a crash of the daemon may have left behind (bans committed, their live adds not made):
      // a restore brings the live set in line, in place when little differs.
      { name: 'the first reconcile', start: () => void this.reconcile(), stop: () => undefined },
      { name: 'the schedules', start: () => this.schedule(this.settings), stop: () => this.unschedule() },
      {
        name: 'the store and config watch',
        start: () => void (this.storeWatch = setInterval(() => this.watchFiles(), STORE_WATCH_MS)),
        stop: () => clearInterval(this.storeWatch),
      },
    ];
    await runServices(services, signal, this.deps.log);
  }

  /**
   * New settings from a SIGHUP: the schedules and the interval restart, the work under way carries
   * on. Settings that cannot be scheduled throw before anything changed, so the running ones stay.
   */
  reload(settings: DaemonSettings): void {
    const before = this.settings.config;
    this.schedule(settings);
    this.configWatch.read(settings.config.file);
    if (settings.config.daemon.socket !== this.socket.path) this.deps.log(`the socket stays ${this.socket.path} until a restart`);
    // What the store plans changed, and no check can tell it from what it sees (nftables and routes
    // have no counts; an ipset's may still match): a safelist entry added there stayed blocked.
    if (planInputs(before) !== planInputs(settings.config)) {
      this.deps.log('SIGHUP: the safelist or the policy changed: restoring the live set to the new plan');
      void this.repairLive();
    }
  }

  private schedule(settings: DaemonSettings): void {
    const { prune, resync } = daemonSchedules(settings.config.daemon);
    const prunes = schedule(prune, () => void this.prune());
    let resyncs: Schedule | undefined;
    try {
      resyncs = schedule(resync, () => void this.resync());
    } catch (error) {
      prunes?.stop();
      throw error;
    }
    this.unschedule();
    this.settings = settings;
    this.prunes = prunes;
    this.resyncs = resyncs;
    this.timer = setInterval(() => void this.cycle(), settings.healIntervalSeconds * 1000);
    void this.cycle();
    this.deps.log(
      `started: ${settings.backend.name} backend, socket ${this.socket.path}, checking every ${settings.healIntervalSeconds} s, ` +
        `${planned('pruning', prune.expression, prunes)}, ${planned('resyncing', resync.expression, resyncs)}`,
    );
  }

  private unschedule(): void {
    clearInterval(this.timer);
    this.prunes?.stop();
    this.resyncs?.stop();
  }

  private async startFleet(): Promise<void> {
    if (this.settings.config.fleet.url === undefined) return;
    const { FleetSync } = await import('../fleet/sync.js');
    const { store, clock, runner, log } = this.deps;
    const around = (): Surroundings => ({ config: this.settings.config, clock, runner });
    const appliers = daemonAppliers(store, around, this.writer, this.jobs, this.stopping.signal, log);
    this.fleet = new FleetSync(store, () => this.settings.config, appliers, (work) => store.writeAsync(work, this.stopping.signal, 'bookkeeping'), log, VERSION);
    this.writer.onCommit = () => this.fleet?.soon();
    this.fleet.start();
  }

  /** A restore as a job, said in the log only when it changed something. */
  private async reconcile(): Promise<void> {
    const result = await this.jobs.run(['restore', '--trigger', 'daemon']);
    if (result.code !== 0) {
      if (result.stopped) return;
      this.jobFailures++;
      this.deps.log(`error: reconciling the live set at start: ${jobFailure(result)}`);
      return;
    }
    const changes = result.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('restored '));
    this.deps.log(`reconciled at start: ${changes.length > 0 ? changes.join('; ') : 'the live set matched the store'}`);
  }

  /** A check (and repair), then the metrics. Failures are logged by the healer and counted. */
  private async cycle(): Promise<void> {
    await this.healer.check().catch(() => undefined);
    // A check that outlived the stop: the store may be closed by now.
    if (this.stopping.signal.aborted) return;
    await this.metrics.write().catch((error: Error) => this.deps.log(`error: metrics not written: ${error.message}`));
  }

  private async answer(request: Request): Promise<Response> {
    switch (request.op) {
      case 'health':
        return {
          ok: true,
          pid: process.pid,
          backend: this.settings.backend.name,
          bans: this.writer.bans,
          received: this.writer.received,
          commits: this.writer.commits,
          ...(this.fleet ? { fleet: this.fleet.status() } : {}),
        };
      case 'check': {
        const outcome = await this.healer.check();
        return { ok: true, problems: outcome.problems, ...(outcome.repaired ? { repaired: outcome.repaired } : {}) };
      }
      case 'ban': {
        const { address, fields } = request;
        if (request.db !== undefined && resolve(request.db) !== resolve(this.settings.config.db)) {
          throw new OperationalError(`this daemon records bans in ${this.settings.config.db}, not ${request.db}`);
        }
        const banRequest = parseBanRequest(address, fields);
        refuseHarmful(banRequest, fields.force === true, this.deps.env);
        const event = newBanEvent(banRequest, this.deps.clock());
        const outcome = await this.writer.submit(event);
        refuseReusedEventId(outcome, event);
        const { line } = describeBan(banRequest, outcome, this.settings.config.policy);
        return { ok: true, recorded: outcome.recorded, blocked: outcome.blocked, safelisted_by: outcome.safelistedBy, message: line };
      }
    }
  }

  private watchFiles(): void {
    const why = this.deps.store.movedAway();
    if (why !== undefined) this.storeGone(why);
    this.configWatch.check();
  }

  /**
   * The store's file removed or replaced: what this daemon records goes into a file no one reads
   * again. It stops (exit 1); bans meanwhile go to `stickyban ban` (the action's fallback), which
   * records them in what is there now, or spools them while there is nothing.
   */
  private storeGone(why: string): void {
    if (this.stopping.signal.aborted) return;
    this.deps.fail(`${why} while the daemon ran: stopping (bans go to stickyban ban meanwhile; a restart opens what is there)`);
  }

  private async prune(): Promise<void> {
    if (this.settings.config.policy.retentionSeconds === undefined) return;
    let outcome: PruneJson | undefined;
    await this.logJob('prune', ['prune', '--json'], (stdout) => (outcome = readPruneJson(stdout))?.summary);
    if (outcome) this.lastPrune = { at: this.deps.clock(), addresses: outcome.pruned };
    await this.metrics.write().catch(() => undefined);
  }

  /**
   * A restore after a live update failed (its changes are in the store and not in the live set,
   * which the check of nftables and routes, with no entry counts, would not see) or a SIGHUP changed
   * the plan. One at a time: failures while one runs ask for one more after it, which reads the
   * store anew; none once the daemon stops.
   */
  private async repairLive(): Promise<void> {
    await this.repairs.run();
  }

  /**
   * A full restore whatever the check says: the check sees sets, chains and rules, not entries, so
   * only this repairs an entry deleted by hand.
   */
  private async resync(): Promise<void> {
    await this.logJob('resync', ['restore', '--trigger', 'resync']);
    await this.metrics.write().catch(() => undefined);
  }

  /**
   * Runs a job and logs its outcome: its summary lines, or its failure. `summary`: the line to log
   * of a job that prints JSON (prune --json), asked only of one that succeeded.
   */
  private async logJob(name: string, args: readonly string[], summary?: (stdout: string) => string | undefined): Promise<JobResult> {
    const result = await this.jobs.run(args);
    if (result.code === 0) {
      const said = summary?.(result.stdout);
      for (const line of said !== undefined ? [said] : result.stdout.trim().split('\n').filter(Boolean)) this.deps.log(`${name}: ${line}`);
    } else if (!result.stopped) {
      this.jobFailures++;
      this.deps.log(`error: ${name} failed: ${jobFailure(result)}`);
    }
    return result;
  }

  private counters() {
    return {
      repairs: this.healer.repairs,
      relinks: this.healer.relinks,
      cycleErrors: this.healer.failures + this.live.failures + this.jobFailures,
      bans: this.writer.bans,
      received: this.writer.received,
      commits: this.writer.commits,
      ...(this.lastPrune ? { lastPrune: this.lastPrune } : {}),
      ...(this.fleet ? { fleet: this.fleet.status() } : {}),
    };
  }
}

/** A firewall change is acted on this long after the last event of its burst, and never later than the max after the first. */
const CHANGE_QUIET_MS = 10;
const CHANGE_MAX_WAIT_MS = 100;

/** "pruning on "17 4 * * *" (next …)", or "never pruning" for a schedule turned off. */
function planned(what: string, expression: string, job: Schedule | undefined): string {
  return job ? `${what} on "${expression}" (next ${job.next().toISOString()})` : `never ${what}`;
}

/** The config's part of the plan (its safelist and policy), as one string to compare: its order is no change. */
function planInputs(config: Config): string {
  return JSON.stringify({ safelist: config.safelist.map(formatNetwork).sort(), policy: { ...config.policy, jails: [...config.policy.jails].sort() } });
}
