// `stickyban export`: the planned permanent list (safelist applied), for other tools. stdout carries
// only the export; anything else goes to stderr. The plan is read from the store a page at a time
// as the output is written, in one snapshot however slow its reader, so that a store of millions is
// exported in the memory of a few pages (5M events: 1.0-1.6 GB when every entry was held first, 4 GB
// for json).

import { replannedPlan } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { onlyFamily } from '../export/family.js';
import { parseExportFormat } from '../export/formats.js';
import { entryHistoryPages } from '../export/history.js';
import { ipsetRestoreScript } from '../export/ipset.js';
import { plainList } from '../export/plain.js';
import { nftScript } from '../firewall/nftables/script.js';
import { parseFamily } from '../input/family.js';
import { jsonArray, lineElement } from './json-array.js';
import { openStore } from './open-store.js';

export interface ExportOptions {
  readonly format?: string;
  readonly family?: string;
}

export async function exportBans(options: ExportOptions, ctx: Context): Promise<void> {
  const format = parseExportFormat(options.format);
  const family = parseFamily(options.family);
  const store = await openStore(ctx, { reading: true });
  try {
    const now = ctx.clock();
    await store.readAsync(async () => {
      const plan = onlyFamily(replannedPlan(store, ctx.config, now), family);
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
          chunks = jsonArray(entryHistoryPages(store, ctx.config, now, plan), lineElement);
          break;
      }
      await ctx.out.stream(chunks);
    });
  } finally {
    store.close();
  }
}
