import type { Context } from './context.js';
import { formatTable } from './table.js';
import { formatTime } from '../clock.js';
import type { Store } from '../store/store.js';
import { openStore } from './open-store.js';
import type { Family } from '../address/network.js';
import { liveBackend } from '../actions/live.js';
import { streamFamilyPlan } from '../actions/plan-store.js';
import { StickybanError } from '../errors.js';
import { planAll } from '../plan/stream.js';

function lastRestore(store: Store) {
  const last = store.restores.last();
  if (!last) return null;
  return {
    at: formatTime(last.started_at),
    started_at: last.started_at,
    seconds: last.duration_ms / 1000,
    backend: last.backend,
    trigger: last.trigger,
    entries: last.entries4 + last.entries6,
    entries4: last.entries4,
    entries6: last.entries6,
  };
}

/** Entries the store plans per family, counted as they are planned (none held). */
function plannedCounts(store: Store, ctx: Context): { v4: number; v6: number } {
  const now = ctx.clock();
  const counted = (family: Family) => {
    let entries = 0;
    planAll(streamFamilyPlan(store, ctx.config, now, family), { entry: () => void entries++ });
    return entries;
  };
  return { v4: counted(4), v6: counted(6) };
}

/** Entries in the live sets per family (null where there is none), or why they could not be counted. */
async function liveCounts(store: Store, ctx: Context): Promise<{ live: { backend: string; v4: number | null; v6: number | null } | null; problem?: string }> {
  try {
    const backend = await liveBackend(store, ctx);
    const { entries } = await backend.inspect();
    return { live: { backend: backend.name, v4: entries.v4 ?? null, v6: entries.v6 ?? null } };
  } catch (error) {
    if (!(error instanceof StickybanError)) throw error;
    return { live: null, problem: `the live set could not be read: ${error.message}` };
  }
}

/** The live counts beside the planned ones, in one line. */
function liveLine(live: { backend: string; v4: number | null; v6: number | null } | null, planned: { v4: number; v6: number }, problem: string | undefined): string {
  if (!live) return `unknown: ${problem}`;
  const counted = (entries: number | null, family: string) => (entries === null ? `no ${family} set` : `${entries} ${family}`);
  const line = `${live.backend}: ${counted(live.v4, 'IPv4')} and ${counted(live.v6, 'IPv6')} entries`;
  return live.v4 === planned.v4 && live.v6 === planned.v6 ? `${line}, as many as planned (doctor compares them one by one)` : `${line}; the store plans ${planned.v4} and ${planned.v6} (fix: stickyban restore)`;
}

export async function stats(options: { json?: boolean }, ctx: Context): Promise<void> {
  const store = await openStore(ctx, { reading: true });
  try {
    const { live, problem } = await liveCounts(store, ctx);
    const now = ctx.clock();
    const counts = store.read(() => ({
      ...store.bans.totals(now),
      safelist: store.safelist.count() + ctx.config.safelist.length,
      by_family: store.bans.countBy('family', now),
      by_jail: store.bans.countBy('jail', now),
      by_source: store.bans.countBy('source', now),
      last_restore: lastRestore(store),
      planned: plannedCounts(store, ctx),
    }));
    const result = { ...counts, live, ...(problem === undefined ? {} : { live_problem: problem }) };
    if (options.json) {
      ctx.out.data(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const section = (title: string, rows: typeof result.by_jail): string =>
      `\n${formatTable([title, 'ADDRESSES', 'EVENTS'], rows.map((row) => [String(row.key), String(row.addresses), String(row.events)]))}`;
    ctx.out.data(
      [
        `addresses: ${result.addresses}`,
        `events:    ${result.events} (${result.lifted} lifted)`,
        `safelist:  ${result.safelist}`,
        `live:      ${liveLine(live, result.planned, problem)}`,
        `restored:  ${result.last_restore ? `${result.last_restore.at} by ${result.last_restore.trigger} (${result.last_restore.backend}, ${result.last_restore.entries} entries in ${result.last_restore.seconds} s)` : 'never'}`,
      ].join('\n') +
        '\n' +
        section('FAMILY', result.by_family.map((row) => ({ ...row, key: `IPv${row.key}` }))) +
        section('JAIL', result.by_jail) +
        section('SOURCE', result.by_source),
    );
  } finally {
    store.close();
  }
}
