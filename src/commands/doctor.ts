import type { Network } from '../address/network.js';
import { planStore } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { OperationalError } from '../errors.js';
import { loadBackend } from '../firewall/select.js';
import {
  checkBackend,
  checkFail2ban,
  checkHostSafelisted,
  checkLastRestore,
  checkLive,
  checkRoot,
  checkSchedules,
  checkStore,
  checkTools,
  type Finding,
} from '../doctor/checks.js';
import { isMissing, openStore } from './open-store.js';

/** Checks everything stickyban depends on and says how to fix what is wrong; exit 1 on any FAIL. */
export async function doctor(options: { json?: boolean }, ctx: Context): Promise<void> {
  const findings: Finding[] = [checkBackend(ctx.config), ...checkTools(ctx.config), checkRoot()];
  let store;
  if (isMissing(ctx.config.db)) {
    // Not made here: a mistyped --db would otherwise become an empty store that passes every check.
    findings.push({ status: 'WARN', check: 'store', detail: `no store at ${ctx.config.db} yet`, fix: 'the first ban or stickyban restore creates it; check --db or db in the config' });
  } else {
    try {
      store = await openStore(ctx, { existing: true });
    } catch (error) {
      findings.push({ status: 'FAIL', check: 'store', detail: (error as Error).message, fix: 'see the message; stickyban doctor --verbose' });
    }
  }
  if (store) {
    try {
      findings.push(...checkStore(store), checkLastRestore(store));
      const plan = planStore(store, ctx.config, ctx.clock());
      if (findings.every((finding) => finding.status !== 'FAIL')) {
        try {
          const inspection = await (await loadBackend(ctx.config, ctx.runner)).inspect();
          findings.push(...checkLive(inspection, plan));
        } catch (error) {
          findings.push({ status: 'FAIL', check: 'live blocklist', detail: (error as Error).message, fix: 'stickyban restore' });
        }
      }
      const safelist: Network[] = [
        ...ctx.config.safelist,
        ...store.safelist.list().map((row) => row.network),
      ];
      findings.push(...checkHostSafelisted(safelist));
    } finally {
      store.close();
    }
  }
  findings.push(...checkFail2ban(ctx.config));
  findings.push(...checkSchedules(ctx.config));

  if (options.json) ctx.out.data(`${JSON.stringify(findings, null, 2)}\n`);
  else {
    for (const finding of findings) {
      ctx.out.data(`${finding.status.padEnd(5)} ${finding.check}: ${finding.detail}${finding.fix ? ` (fix: ${finding.fix})` : ''}\n`);
    }
  }
  const failed = findings.filter((finding) => finding.status === 'FAIL').length;
  if (failed > 0) throw new OperationalError(`${failed} check${failed === 1 ? '' : 's'} failed`);
}
