// `stickyban export`: the planned permanent list (safelist applied), for other tools. stdout carries
// only the export; anything else goes to stderr.

import { planStore } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { onlyFamily } from '../export/family.js';
import { parseExportFormat } from '../export/formats.js';
import { entryHistories, jsonLines } from '../export/history.js';
import { ipsetRestoreScript } from '../export/ipset.js';
import { plainList } from '../export/plain.js';
import { nftScript } from '../firewall/nftables/script.js';
import { parseFamily } from '../input/family.js';
import { openStore } from './open-store.js';

export interface ExportOptions {
  readonly format?: string;
  readonly family?: string;
}

export async function exportBans(options: ExportOptions, ctx: Context): Promise<void> {
  const format = parseExportFormat(options.format);
  const family = parseFamily(options.family);
  const store = await openStore(ctx, { existing: true });
  try {
    const now = ctx.clock();
    // One snapshot: the histories must describe exactly the planned entries.
    const { plan, histories } = store.read(() => {
      const planned = onlyFamily(planStore(store, ctx.config, now), family);
      return { plan: planned, histories: format === 'json' ? entryHistories(store, ctx.config, now, planned) : [] };
    });
    let chunks: Iterable<string>;
    switch (format) {
      case 'plain':
        chunks = plainList(plan);
        break;
      case 'ipset':
        chunks = ipsetRestoreScript(plan, ctx.config.ipset, family);
        break;
      case 'nft':
        chunks = nftScript(plan, ctx.config.nftables);
        break;
      case 'json':
        chunks = jsonLines(histories);
        break;
    }
    for (const chunk of chunks) ctx.out.data(chunk);
  } finally {
    store.close();
  }
}
