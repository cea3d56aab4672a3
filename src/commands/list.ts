import { safelistCoverage, safelistIndexes } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { formatTable } from './table.js';
import { formatTime } from '../clock.js';
import type { Config } from '../config/config.js';
import { parseFamily } from '../input/family.js';
import { parseJail } from '../input/names.js';
import type { Coverage } from '../plan/safelist-index.js';
import type { BlockSummary } from '../store/bans.js';
import { openStore } from './open-store.js';

export interface ListOptions {
  readonly json?: boolean;
  readonly jail?: string;
  readonly family?: string;
}

export type BlockStatus = 'permanent' | 'partly safelisted' | 'safelisted' | 'pending' | 'expired';

/** Where a block stands: the same policy the planner applies, in words. */
export function statusOf(summary: BlockSummary, safelisted: Coverage, config: Config, now: number): BlockStatus {
  if (safelisted === 'full') return 'safelisted';
  if (summary.qualifies) return safelisted === 'partial' ? 'partly safelisted' : 'permanent';
  const retention = config.policy.retentionSeconds;
  if (retention !== undefined && summary.last_banned < now - retention) return 'expired';
  return 'pending';
}

export async function list(options: ListOptions, ctx: Context): Promise<void> {
  const family = parseFamily(options.family);
  const jail = options.jail === undefined ? undefined : parseJail(options.jail);
  const store = await openStore(ctx, { existing: true });
  try {
    const now = ctx.clock();
    const safelist = safelistIndexes(store, ctx.config);
    const rows = store.read(() => [...store.bans.summaries(ctx.config.policy, now, { family, jail })]).map((summary) => {
      const coverage = safelistCoverage(safelist, summary.network);
      return {
        address: summary.address,
        family: summary.network.family,
        status: statusOf(summary, coverage, ctx.config, now),
        bans: summary.offences,
        events: summary.events,
        jails: summary.jails.split(','),
        first_banned: formatTime(summary.first_banned),
        last_banned: formatTime(summary.last_banned),
      };
    });
    if (options.json) {
      ctx.out.data(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      ctx.out.info('no bans recorded');
      return;
    }
    ctx.out.data(
      formatTable(
        ['ADDRESS', 'STATUS', 'BANS', 'JAILS', 'LAST BAN'],
        rows.map((row) => [row.address, row.status, String(row.bans), row.jails.join(','), row.last_banned]),
      ),
    );
  } finally {
    store.close();
  }
}
