import { formatNetwork } from '../address/format.js';
import { contains, overlaps } from '../address/network.js';
import { parseNetwork } from '../address/parse.js';
import { planAround } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { formatTable } from './table.js';
import { formatTime } from '../clock.js';
import { formatDuration } from '../input/duration.js';
import { uuidText } from '../store/ids.js';
import { openStore } from './open-store.js';

/** Everything known about one address or block: whether it is blocked, why, and its history. */
export async function show(address: string, options: { json?: boolean }, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const store = await openStore(ctx, { reading: true });
  try {
    const now = ctx.clock();
    const { events, entries, safelist } = store.read(() => ({
      events: store.bans.history(network),
      entries: planAround(store, ctx.config, now, network).filter((entry) => overlaps<number | bigint>(entry, network)),
      safelist: [
        ...store.safelist.around(network).map((row) => ({ address: row.address, note: row.note, origin: 'store' })),
        ...ctx.config.safelist
          .filter((entry) => entry.family === network.family && overlaps<number | bigint>(entry, network))
          .map((entry) => ({ address: formatNetwork(entry), note: null, origin: 'config' })),
      ],
    }));
    const whole = entries.some((entry) => contains<number | bigint>(entry, network));
    const blocked = whole ? 'yes' : entries.length > 0 ? 'partly' : 'no';
    const result = {
      address: formatNetwork(network),
      blocked,
      live_entries: entries.map((entry) => formatNetwork({ ...entry, family: network.family } as never)),
      safelisted_by: safelist,
      events: events.map((event) => ({
        id: uuidText(event.uuid),
        address: event.address,
        jail: event.jail,
        banned_at: formatTime(event.banned_at),
        bantime: event.bantime,
        source: event.source,
        reason: event.reason,
        restored: event.restored === 1,
        lifted_at: event.lifted_at === null ? null : formatTime(event.lifted_at),
        lifted_by: event.lifted_by,
        origin: event.origin,
      })),
    };
    if (options.json) {
      ctx.out.data(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const lines = [`address:   ${result.address}`, `blocked:   ${blocked}${entries.length > 0 && !whole ? ` (${result.live_entries.join(', ')})` : ''}`];
    if (safelist.length > 0) lines.push(`safelist:  ${safelist.map((entry) => `${entry.address} (${entry.origin}${entry.note ? `: ${entry.note}` : ''})`).join(', ')}`);
    lines.push(`events:    ${events.length}${events.length === 0 ? ' (no bans recorded)' : ''}`);
    ctx.out.data(`${lines.join('\n')}\n`);
    if (events.length === 0) return;
    ctx.out.data(
      `\n${formatTable(
        ['TIME', 'ADDRESS', 'JAIL', 'SOURCE', 'BANTIME', 'STATE', 'REASON'],
        result.events.map((event) => [
          event.banned_at,
          event.address,
          event.jail,
          event.source,
          event.bantime === null ? '-' : formatDuration(event.bantime),
          event.lifted_at ? `lifted ${event.lifted_at}` : event.restored ? 'restored' : 'active',
          event.reason ?? '',
        ]),
      )}`,
    );
  } finally {
    store.close();
  }
}
