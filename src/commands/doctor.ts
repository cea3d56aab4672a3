import type { Network } from '../address/network.js';
import { planStore } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { OperationalError } from '../errors.js';
import { leftoversOf } from '../firewall/select.js';
import { backendToRestore, restoringBackend } from '../actions/live.js';
import { loadedBefore } from '../actions/restore.js';
import {
  checkBackend,
  checkHostSafelisted,
  checkLastRestore,
  checkLeftovers,
  checkLive,
  checkLiveContent,
  checkRoot,
  checkSchedules,
  checkSpool,
  checkStore,
  checkTools,
  type Finding,
} from '../doctor/checks.js';
import { existsSync } from 'node:fs';
import { count } from '../input/plural.js';
import type { Store } from '../store/store.js';
import { openStore } from './open-store.js';
import { isMissing } from '../files/is-missing.js';
import { checkFail2ban } from '../doctor/fail2ban.js';
import { owedProblem } from '../actions/live-owed.js';
import { Fail2banClient } from '../fail2ban/client.js';
import type { FirewallBackend, Inspection } from '../firewall/backend.js';
import type { Plan } from '../plan/plan.js';
import type { Cidr } from '../address/network.js';
import { formatCidr } from '../address/format.js';

/** Whether the daemon answers on its socket: without it, every fail2ban ban starts a process. */
async function checkDaemon(socket: string): Promise<Finding> {
  const { ask } = await import('../daemon/socket/client.js');
  const reply = existsSync(socket) ? await ask(socket, { op: 'health' }, { answerMs: 2000 }) : { answered: false as const, why: `no socket at ${socket}` };
  if (reply.answered && reply.response.ok) return { status: 'OK', check: 'daemon', detail: `answers on ${socket} (pid ${String(reply.response.pid)})` };
  if (!reply.answered && reply.refused) return { status: 'FAIL', check: 'daemon', detail: `${reply.why}: another user could answer in the daemon's stead`, fix: 'remove it, and give [daemon] socket a directory only root can change' };
  const why = reply.answered ? (reply.response.ok ? '' : reply.response.error) : reply.why;
  return { status: 'WARN', check: 'daemon', detail: `not running (${why}): each fail2ban ban runs stickyban ban, a process of its own`, fix: 'systemctl enable --now stickyban (or run stickyban daemon)' };
}

/**
 * The fleet: reachable with this host's role, its schema current, and how far behind this host is.
 * An unreachable database is a warning: the host works on, and publishes what it recorded on return.
 */
async function checkFleet(store: Store, ctx: Context): Promise<Finding> {
  const { fleetHealth } = await import('../fleet/health.js');
  try {
    const health = await fleetHealth(store, ctx.config);
    const detail = `${health.database} as host ${ctx.config.fleet.host}: ${count(health.behind, 'event')} of other hosts not applied, ${count(health.waiting, 'local one')} not published`;
    if (health.behind + health.waiting > FLEET_LAG_WARN) return { status: 'WARN', check: 'fleet', detail, fix: 'is the daemon running? stickyban fleet sync catches up once' };
    return { status: 'OK', check: 'fleet', detail };
  } catch (error) {
    const message = (error as Error).message;
    if (/has no stickyban schema|lacks migration|migration/.test(message)) return { status: 'FAIL', check: 'fleet', detail: message, fix: 'stickyban fleet init --url <the admin URI>' };
    return { status: 'WARN', check: 'fleet', detail: `${message}: bans are recorded here and published when it is back`, fix: 'check [fleet] url, password_file and the database' };
  }
}

/** Events behind or waiting beyond which doctor warns: the daemon keeps both near zero. */
const FLEET_LAG_WARN = 100;

/**
 * Whether the live set holds every planned entry, for each family whose count matches the plan (one
 * that does not has failed already): an entry deleted by hand and another added keep the count.
 * One listing of the set per family.
 */
async function checkHeld(backend: FirewallBackend, inspection: Inspection, plan: Plan): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const family of [4, 6] as const) {
    const { entries } = family === 4 ? plan.v4 : plan.v6;
    if (inspection.entries[family === 4 ? 'v4' : 'v6'] !== entries.length || entries.length === 0) continue;
    const index = await backend.liveIndex(family);
    if (!index) continue;
    const missing = (entries as Cidr<number | bigint>[]).filter((entry) => index.coverage(entry) !== 'full').map((entry) => formatCidr(family, entry as never));
    findings.push(checkLiveContent(family, missing));
  }
  return findings;
}

/** Checks everything stickyban depends on and says how to fix what is wrong; exit 1 on any FAIL. */
export async function doctor(options: { json?: boolean }, ctx: Context): Promise<void> {
  const findings: Finding[] = [];
  let store;
  if (isMissing(ctx.config.db)) {
    // Not made here: a mistyped --db would otherwise become an empty store that passes every check.
    // Nothing records bans without it: hooks fail (and spool beside it), restores refuse.
    findings.push({ status: 'FAIL', check: 'store', detail: `no store at ${ctx.config.db}`, fix: 'stickyban init creates it; or check --db, STICKYBAN_DB and db in the config' });
  } else {
    try {
      store = await openStore(ctx, { reading: true });
    } catch (error) {
      findings.push({ status: 'FAIL', check: 'store', detail: (error as Error).message, fix: 'see the message; stickyban doctor --verbose' });
    }
  }
  // What a `restore --backend` loaded stays in force (actions/live.ts): named first, its tools checked.
  const inForce = store ? backendToRestore(store, ctx.config) : ctx.config.backend;
  const prerequisites = [checkBackend(ctx.config, inForce), ...checkTools(ctx.config, undefined, inForce), checkRoot()];
  findings.unshift(...prerequisites);
  if (store) {
    try {
      findings.push(...checkStore(store, ctx.clock()), checkLastRestore(store));
      const owed = owedProblem(store);
      if (owed) findings.push({ status: 'FAIL', check: owed.what, detail: owed.problem!, fix: 'stickyban restore --if-missing (the daemon runs it at its next check)' });
      const plan = planStore(store, ctx.config, ctx.clock());
      // The kernel is read whenever it can be (its tools there, as root): a failure of the store's
      // (a live update owed) hid a set of another type or a missing jump behind it.
      if (prerequisites.every((finding) => finding.status !== 'FAIL')) {
        try {
          // The backend in force: a `restore --backend` stays it until the config names another.
          const live = await restoringBackend(store, ctx);
          const inspection = await live.inspect();
          findings.push(...checkLive(inspection, plan));
          findings.push(...(await checkHeld(live, inspection, plan)));
          findings.push(...checkLeftovers(await leftoversOf(ctx.config, ctx.runner, loadedBefore(store, ctx.config, live.name), live.name), live.name));
        } catch (error) {
          findings.push({ status: 'FAIL', check: 'live blocklist', detail: (error as Error).message, fix: 'stickyban restore' });
        }
      }
      const safelist: Network[] = [
        ...ctx.config.safelist,
        ...store.safelist.list().map((row) => row.network),
      ];
      findings.push(...checkHostSafelisted(safelist));
      if (ctx.config.fleet.url !== undefined) findings.push(await checkFleet(store, ctx));
    } finally {
      store.close();
    }
  }
  findings.push(...checkSpool(ctx.config.db, ctx.clock()));
  findings.push(...(await checkFail2ban(ctx.config, new Fail2banClient(ctx.runner, ctx.config.fail2ban.socket))), await checkDaemon(ctx.config.daemon.socket));
  findings.push(...checkSchedules(ctx.config));

  if (options.json) ctx.out.data(`${JSON.stringify(findings, null, 2)}\n`);
  else {
    for (const finding of findings) {
      ctx.out.data(`${finding.status.padEnd(5)} ${finding.check}: ${finding.detail}${finding.fix ? ` (fix: ${finding.fix})` : ''}\n`);
    }
  }
  const failed = findings.filter((finding) => finding.status === 'FAIL').length;
  if (failed > 0) throw new OperationalError(`${count(failed, 'check')} failed`);
}
