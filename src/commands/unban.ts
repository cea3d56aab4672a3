import { formatNetwork } from '../address/format.js';
import { parseNetwork } from '../address/parse.js';
import { liftBans } from '../actions/lift.js';
import type { Context } from './context.js';
import { OperationalError } from '../errors.js';
import { parseJail } from '../input/names.js';
import { openStoreToWrite } from './open-store.js';

export interface UnbanOptions {
  readonly jail?: string;
  /** Lift it on every host of the fleet too (the admin role appends the lift to the shared log). */
  readonly fleet?: boolean;
  readonly fleetUrl?: string;
}

/**
 * Lifts the bans of an address (or of every block inside a CIDR), of one jail or all. The events
 * stay as history; only this command lifts a permanent ban (fail2ban's actionunban does not).
 */
export async function unban(address: string, options: UnbanOptions, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const jail = options.jail === undefined ? undefined : parseJail(options.jail);
  const what = `${formatNetwork(network)}${jail ? ` in jail ${jail}` : ''}`;
  const store = await openStoreToWrite(ctx);
  try {
    const outcome = await liftBans(store, ctx, network, jail, 'unban', (lifted) => `lifted ${lifted} ban event(s) of ${what} in the store`);
    const fleetWide = options.fleet === true || options.fleetUrl !== undefined;
    if (outcome.lifted === 0 && !fleetWide) throw new OperationalError(`${what} has no active ban to lift (see stickyban show ${formatNetwork(network)})`);
    ctx.out.info(outcome.lifted === 0 ? `${what} has no active ban here` : `unbanned ${what} (${outcome.lifted} ban event(s) lifted)${outcome.absent ? `; ${outcome.absent}` : ''}`);
    if (fleetWide) {
      const { announce } = await import('../fleet/announce.js');
      const database = await announce(ctx.config.fleet, { kind: 'lift', network, ...(jail ? { jail } : {}) }, options.fleetUrl);
      ctx.out.info(`unbanned ${what} fleet-wide: every host applies it from ${database}`);
    }
    if (outcome.stillBannedBy.length > 0) ctx.out.warn(`${formatNetwork(network)} is still banned as part of ${outcome.stillBannedBy.join(', ')}`);
  } finally {
    store.close();
  }
}
