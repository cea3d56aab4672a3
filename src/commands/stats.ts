import type { Context } from '../cli/context.js';
import { formatTable } from '../cli/table.js';
import { openStore } from './session.js';

export async function stats(options: { json?: boolean }, ctx: Context): Promise<void> {
  const store = await openStore(ctx);
  try {
    const result = store.read(() => ({
      ...store.bans.totals(),
      safelist: store.safelist.count() + ctx.config.safelist.length,
      by_family: store.bans.countBy('family'),
      by_jail: store.bans.countBy('jail'),
      by_source: store.bans.countBy('source'),
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
