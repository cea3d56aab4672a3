import { formatNetwork } from '../address/format.js';
import { parseNetwork } from '../address/parse.js';
import { addToSafelist, removeFromSafelist } from '../actions/safelist.js';
import type { FleetChange } from '../fleet/announce.js';
import type { Context } from './context.js';
import { BUILTIN_SAFELIST } from '../config/config.js';
import { formatTable } from './table.js';
import { formatTime } from '../clock.js';
import { OperationalError, UsageError } from '../errors.js';
import { parseNote } from '../input/names.js';
import { count } from '../input/plural.js';
import { openStore, openStoreToWrite } from './open-store.js';

/** Safelists a range and takes it out of the live set at once; its ban history is kept. */
/** --fleet: every host of the fleet too (the admin role appends the change to the shared log). */
interface FleetOptions {
  readonly fleet?: boolean;
  readonly fleetUrl?: string;
}

async function announceIfAsked(options: FleetOptions, ctx: Context, change: FleetChange, done: string): Promise<void> {
  if (options.fleet !== true && options.fleetUrl === undefined) return;
  const { announce } = await import('../fleet/announce.js');
  const database = await announce(ctx.config.fleet, change, options.fleetUrl);
  ctx.out.info(`${done} fleet-wide: every host applies it from ${database}`);
}

export async function safelistAdd(address: string, options: { note?: string } & FleetOptions, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const note = options.note === undefined ? null : parseNote(options.note, 'note') || null;
  const what = formatNetwork(network);
  const store = await openStoreToWrite(ctx);
  try {
    const outcome = await addToSafelist(store, ctx, network, note, `safelisted ${what} in the store`);
    if (!outcome.changed) ctx.out.info(`${what} is already safelisted${note ? '; note updated' : ''}`);
    else ctx.out.info(`safelisted ${what}${outcome.live > 0 ? `; ${count(outcome.live, 'live entry', 'live entries')} removed` : ''}${outcome.absent ? `; ${outcome.absent}` : ''}`);
    await announceIfAsked(options, ctx, { kind: 'safelist-add', network, note }, `safelisted ${what}`);
  } finally {
    store.close();
  }
}

/** Removes exactly this range from the safelist; bans inside it become live again. */
export async function safelistRemove(address: string, options: FleetOptions, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const what = formatNetwork(network);
  const store = await openStoreToWrite(ctx);
  try {
    const outcome = await removeFromSafelist(store, ctx, network, `removed ${what} from the safelist in the store`);
    const fleetWide = options.fleet === true || options.fleetUrl !== undefined;
    if (!outcome.changed) {
      const entry = ctx.config.safelist.find((listed) => formatNetwork(listed) === what);
      if (entry && BUILTIN_SAFELIST.includes(entry)) throw new UsageError(`${what} is built in: loopback is always safelisted`);
      if (!fleetWide) throw new OperationalError(entry ? `${what} is safelisted in ${ctx.config.file}; remove it there` : `${what} is not in the safelist (see stickyban safelist list)`);
      ctx.out.info(`${what} is not in this host's safelist`);
    } else ctx.out.info(`removed ${what} from the safelist${outcome.live > 0 ? `; ${count(outcome.live, 'live entry', 'live entries')} added back` : ''}${outcome.absent ? `; ${outcome.absent}` : ''}`);
    await announceIfAsked(options, ctx, { kind: 'safelist-remove', network }, `removed ${what} from the safelist`);
  } finally {
    store.close();
  }
}

export async function safelistList(options: { json?: boolean }, ctx: Context): Promise<void> {
  const store = await openStore(ctx, { reading: true });
  try {
    const rows = [
      ...store.safelist.list().map((row) => ({ address: row.address, note: row.note, added_at: formatTime(row.added_at), origin: 'store' })),
      ...ctx.config.safelist.map((entry) => ({
        address: formatNetwork(entry),
        note: BUILTIN_SAFELIST.includes(entry) ? 'loopback' : null,
        added_at: null,
        origin: BUILTIN_SAFELIST.includes(entry) ? 'built-in' : `config ${ctx.config.file}`,
      })),
    ];
    if (options.json) {
      ctx.out.data(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      ctx.out.info('the safelist is empty');
      return;
    }
    ctx.out.data(formatTable(['ADDRESS', 'ADDED', 'ORIGIN', 'NOTE'], rows.map((row) => [row.address, row.added_at ?? '-', row.origin, row.note ?? ''])));
  } finally {
    store.close();
  }
}
