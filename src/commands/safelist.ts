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
import type { Network } from '../address/network.js';
import { syncIgnoreList } from '../actions/fail2ban.js';
import { Fail2banClient } from '../fail2ban/client.js';
import { fleetTarget } from '../config/fleet-url.js';
import { safelistEntryProblem } from '../input/ban-record.js';

/** Safelists a range and takes it out of the live set at once; its ban history is kept. */
/** --fleet: every host of the fleet too (the admin role appends the change to the shared log). */
interface FleetOptions {
  readonly fleet?: boolean;
  readonly fleetUrl?: string;
  /** The ignore lists of fail2ban's running jails too (also when the config's [fail2ban] sync_ignoreip says so). */
  readonly fail2ban?: boolean;
}

/**
 * The change in fail2ban's ignore lists, when asked for; its line is printed, and what fail2ban
 * refused is returned, to fail the command once the rest is done (the store change stands).
 */
async function syncFail2banIfAsked(options: FleetOptions, ctx: Context, network: Network, change: 'add' | 'remove'): Promise<string | undefined> {
  if (options.fail2ban !== true && !ctx.config.fail2ban.syncIgnoreip) return undefined;
  const report = await syncIgnoreList(new Fail2banClient(ctx.runner, ctx.config.fail2ban.socket), network, change);
  if (report.failed) return report.line;
  ctx.out.info(report.line);
  return undefined;
}

/** `fleetUrl`: where a fleet-wide change goes, checked before anything was written (fleetTarget); none, a local change. */
async function announceIfAsked(fleetUrl: string | undefined, ctx: Context, change: FleetChange, done: string): Promise<void> {
  if (fleetUrl === undefined) return;
  const { announce } = await import('../fleet/announce.js');
  const database = await announce(ctx.config.fleet, change, fleetUrl);
  ctx.out.info(`${done} fleet-wide: every host applies it from ${database}`);
}

export async function safelistAdd(address: string, options: { note?: string } & FleetOptions, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const problem = safelistEntryProblem(network);
  if (problem !== undefined) throw new UsageError(`refusing to safelist ${formatNetwork(network)}: it ${problem}`);
  const note = options.note === undefined ? null : parseNote(options.note, 'note') || null;
  const what = formatNetwork(network);
  const fleetUrl = fleetTarget(ctx.config.fleet, options);
  const store = await openStoreToWrite(ctx);
  try {
    const outcome = await addToSafelist(store, ctx, network, note, `safelisted ${what} in the store`);
    if (!outcome.changed) ctx.out.info(`${what} is already safelisted${note ? '; note updated' : ''}`);
    else ctx.out.info(`safelisted ${what}${outcome.live > 0 ? `; ${count(outcome.live, 'live entry', 'live entries')} removed` : ''}${outcome.absent ? `; ${outcome.absent}` : ''}`);
    const refused = await syncFail2banIfAsked(options, ctx, network, 'add');
    await announceIfAsked(fleetUrl, ctx, { kind: 'safelist-add', network, note }, `safelisted ${what}`);
    if (refused !== undefined) throw new OperationalError(refused);
  } finally {
    store.close();
  }
}

/** Removes exactly this range from the safelist; bans inside it become live again. */
export async function safelistRemove(address: string, options: FleetOptions, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const what = formatNetwork(network);
  const fleetUrl = fleetTarget(ctx.config.fleet, options);
  const store = await openStoreToWrite(ctx);
  try {
    const outcome = await removeFromSafelist(store, ctx, network, `removed ${what} from the safelist in the store`);
    const fleetWide = fleetUrl !== undefined;
    if (!outcome.changed) {
      const entry = ctx.config.safelist.find((listed) => formatNetwork(listed) === what);
      if (entry && BUILTIN_SAFELIST.includes(entry)) throw new UsageError(`${what} is built in: loopback is always safelisted`);
      // Only the config file can change that entry: a request this command cannot carry out.
      if (entry && !fleetWide) throw new UsageError(`${what} is safelisted in ${ctx.config.file}; remove it there`);
      // Not there is what was asked for: said, and not a failure (README, "Exit codes").
      ctx.out.info(fleetWide ? `${what} is not in this host's safelist` : `${what} is not in the safelist; nothing to remove`);
    } else ctx.out.info(`removed ${what} from the safelist${outcome.live > 0 ? `; ${count(outcome.live, 'live entry', 'live entries')} added back` : ''}${outcome.absent ? `; ${outcome.absent}` : ''}`);
    // What stickyban did not safelist here is not its to take out of fail2ban's lists.
    const refused = outcome.changed ? await syncFail2banIfAsked(options, ctx, network, 'remove') : undefined;
    await announceIfAsked(fleetUrl, ctx, { kind: 'safelist-remove', network }, `removed ${what} from the safelist`);
    if (refused !== undefined) throw new OperationalError(refused);
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
