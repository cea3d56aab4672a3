import type { Context } from './context.js';
import { formatTable } from './table.js';
import { formatTime } from '../clock.js';
import type { Store } from '../store/store.js';
import { openStore } from './open-store.js';

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

export async function stats(options: { json?: boolean }, ctx: Context): Promise<void> {
  const store = await openStore(ctx, { reading: true });
  try {
    const result = store.read(() => ({
      ...store.bans.totals(),
      safelist: store.safelist.count() + ctx.config.safelist.length,
      by_family: store.bans.countBy('family'),
      by_jail: store.bans.countBy('jail'),
      by_source: store.bans.countBy('source'),
      last_restore: lastRestore(store),
    }));
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
