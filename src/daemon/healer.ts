// Self-heal: a foreign `iptables-restore`, `ufw reload` or `nft flush ruleset` can remove our chain,
// rule, jump or sets at any time, and an import or prune killed half way leaves the live set out of
// line with the store. The check is cheap (a few tool calls, see FirewallBackend.presence, and the
// plan's entry counts kept in the store, counted anew in turns when the store changed more than a
// few new bans) and runs in the daemon; a repair is `restore --if-missing`, run as a job (jobs.ts),
// which checks again first. Requests that arrive while a check runs are answered by the next one,
// so a burst of them is one check.

import { DAEMON_COUNT, describeProblems, findProblems } from '../actions/heal.js';
import { restoringBackend } from '../actions/live.js';
import { countInTurns } from '../actions/plan-count.js';
import { nextTurn, type Runner } from '../exec/run.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { StoreError } from '../errors.js';
import { ApplyLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { jobFailure, type Jobs } from './jobs.js';
import { OneAtATime } from './one-at-a-time.js';

export interface CheckOutcome {
  /** What was missing, in words; empty when all was in place. */
  readonly problems: string;
  /** The restore's own summary line when it repaired them. */
  readonly repaired?: string;
}

/** How long a re-link waits for the apply lock: longer means a restore is under way, which re-links itself. */
const RELINK_LOCK_WAIT_MS = 200;

export class Healer {
  repairs = 0;
  relinks = 0;
  failures = 0;
  private readonly checks = new OneAtATime(() => this.checkOnce());
  /** A count of the plan under way (countPlan). */
  private counting: Promise<unknown> | undefined;
  /** The last failure said, so a lasting one is logged once, not on every check. */
  private lastFailure: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly settings: () => { readonly config: Config; readonly backend: FirewallBackend },
    private readonly clock: Clock,
    private readonly jobs: Jobs,
    private readonly log: (line: string) => void,
    private readonly runner: Runner,
  ) {}

  /**
   * The backend a restore would load (actions/live.ts backendToRestore): the configured one, or
   * the one a `restore --backend` loaded while the config still names what it named then.
   */
  private async backend(): Promise<{ readonly config: Config; readonly backend: FirewallBackend }> {
    const { config, backend } = this.settings();
    return { config, backend: await restoringBackend(this.store, { config, clock: this.clock, runner: this.runner }, backend) };
  }

  /**
   * After a firewall change: the rule and jumps go back at once (a few tool calls, no job), then the
   * full check repairs what else is missing. A restore holding the apply lock re-links itself.
   */
  async relinkThenCheck(): Promise<void> {
    const { backend } = await this.backend();
    if (backend.relink) {
      let lock: ApplyLock | undefined;
      try {
        lock = await ApplyLock.acquire(this.store.path, { waitMs: RELINK_LOCK_WAIT_MS });
        const notes = await backend.relink();
        if (notes.length > 0) {
          this.relinks++;
          this.log(`relinked after a firewall change: ${notes.join(', ')}`);
        }
      } catch (error) {
        if (!(error instanceof StoreError)) this.log(`error: relinking after a firewall change: ${(error as Error).message}`);
      } finally {
        lock?.release();
      }
    }
    await this.check().catch(() => undefined);
  }

  /** Counts the plan without holding the loop (countInTurns), unless a count is under way. */
  private countPlan(config: Config): void {
    if (this.counting) return;
    this.counting = countInTurns(this.store, config, this.clock(), nextTurn)
      // A store closed under it: the daemon is stopping.
      .catch((error: Error) => void (this.store.db.open && this.log(`error: counting the plan: ${error.message}`)))
      .finally(() => (this.counting = undefined));
  }

  /** Checks (and repairs) once the check under way, if any, is over: a check asked for during one still runs after it. */
  check(): Promise<CheckOutcome> {
    return this.checks.run();
  }

  private async checkOnce(): Promise<CheckOutcome> {
    try {
      const { config, backend } = await this.backend();
      const { problems, uncounted } = await findProblems(this.store, config, this.clock, backend, DAEMON_COUNT);
      // The entry counts want the plan counted anew (the store changed past counting on top):
      // counted in turns, for the checks after this one.
      if (uncounted) this.countPlan(config);
      if (problems.length === 0) {
        this.lastFailure = undefined;
        return { problems: '' };
      }
      // The restore runs as a job, which checks again first (a hook's live change may land meanwhile).
      const described = describeProblems(problems);
      const result = await this.jobs.run(['restore', '--if-missing', '--trigger', 'daemon']);
      if (result.stopped) return { problems: described };
      if (result.code !== 0) throw new Error(`could not repair ${described}: ${jobFailure(result)}`);
      this.lastFailure = undefined;
      const lines = result.stdout.split('\n');
      const summary = lines.find((line) => line.startsWith('restored '));
      if (summary === undefined) return { problems: '' };
      const found = lines.find((line) => line.startsWith('missing: '))?.slice('missing: '.length) ?? described;
      this.repairs++;
      this.log(`repaired: ${found}; ${summary}`);
      return { problems: found, repaired: summary };
    } catch (error) {
      // The store closed under the check: the daemon is stopping, nothing failed.
      if (!this.store.db.open) throw error;
      this.failures++;
      const message = (error as Error).message;
      if (message !== this.lastFailure) this.log(`error: ${message}`);
      this.lastFailure = message;
      throw error;
    }
  }
}
