import { formatNetwork } from '../address/format.js';
import type { Network } from '../address/network.js';
import { parseNetwork } from '../address/parse.js';
import { liftBans } from '../actions/lift.js';
import type { Context } from './context.js';
import { eachAddress } from './each-address.js';
import { OperationalError } from '../errors.js';
import { parseJail } from '../input/names.js';
import type { Store } from '../store/store.js';
import { openStoreToWrite } from './open-store.js';
import { liftInFail2ban } from '../actions/fail2ban.js';
import { Fail2banClient } from '../fail2ban/client.js';
import { count } from '../input/plural.js';
import { fleetTarget } from '../config/fleet-url.js';

export interface UnbanOptions {
  readonly jail?: string;
  /** Lift it on every host of the fleet too (the admin role appends the lift to the shared log). */
  readonly fleet?: boolean;
  readonly fleetUrl?: string;
  /** Lift fail2ban's own ban too (fail2ban-client unban): else its replay after a restart is all that is left of it. */
  readonly fail2ban?: boolean;
}

/**
 * Lifts the bans of each address (or of every block inside a CIDR), of one jail or all. The events
 * stay as history; only this command lifts a permanent ban (fail2ban's actionunban does not). Every
 * address is checked before any ban is lifted.
 */
export async function unban(addresses: readonly string[], options: UnbanOptions, ctx: Context): Promise<void> {
  const networks = addresses.map((address) => parseNetwork(address));
  const jail = options.jail === undefined ? undefined : parseJail(options.jail);
  const fleetUrl = fleetTarget(ctx.config.fleet, options);
  const store = await openStoreToWrite(ctx);
  try {
    const refused: string[] = [];
    // One that fails (its live update) does not stop the others (each-address.ts).
    const lifting = eachAddress(
      networks,
      async (network) => {
        const refusal = await unbanOne(store, network, jail, { ...options, fleetUrl }, ctx);
        if (refusal !== undefined) refused.push(refusal);
      },
      ctx.out,
    );
    const failed = await lifting.then(() => undefined, (error: unknown) => error);
    // Once every lift is done: a block lifted later in the same command no longer holds an address.
    // Nothing of its own to lift is not "not banned" either: a block around it may hold it.
    const now = ctx.clock();
    // Not after a lone address's failure: its error is the answer.
    for (const network of failed !== undefined && networks.length === 1 ? [] : networks) {
      const enclosing = store.read(() => store.bans.activeEnclosing(network, now));
      if (enclosing.length > 0) ctx.out.warn(`${formatNetwork(network)} is still banned as part of ${enclosing.join(', ')}`);
    }
    if (failed !== undefined) {
      // Said before the failure that ends the command, not lost behind it.
      for (const refusal of refused) ctx.out.warn(refusal);
      throw failed;
    }
    // The store's lifts stand (and are printed); what fail2ban refused is the failure.
    if (refused.length > 0) throw new OperationalError(refused.join('; '));
  } finally {
    store.close();
  }
}

/**
 * Lifts one address's bans and says so; returns what fail2ban refused (--fail2ban), if anything.
 * `fleetUrl`: where the fleet-wide lift goes, checked already (fleetTarget); none, a local lift.
 */
async function unbanOne(store: Store, network: Network, jail: string | undefined, options: Omit<UnbanOptions, 'fleet'>, ctx: Context): Promise<string | undefined> {
  const what = `${formatNetwork(network)}${jail ? ` in jail ${jail}` : ''}`;
  const outcome = await liftBans(store, ctx, network, jail, 'unban', (lifted) => `lifted ${count(lifted, 'ban event')} of ${what} in the store`);
  const fleetWide = options.fleetUrl !== undefined;
  const inFail2ban = options.fail2ban === true ? await liftInFail2ban(new Fail2banClient(ctx.runner, ctx.config.fail2ban.socket), network, jail) : undefined;
  // What was asked for is so already: said, and not a failure (README, "Exit codes").
  if (outcome.lifted === 0) ctx.out.info(`${formatNetwork(network)} has no active ban${jail ? ` in jail ${jail}` : ''}${fleetWide || inFail2ban ? ' here' : '; nothing to lift'}`);
  else ctx.out.info(`unbanned ${what} (${count(outcome.lifted, 'ban event')} lifted)${outcome.absent ? `; ${outcome.absent}` : ''}`);
  if (inFail2ban && !inFail2ban.failed) ctx.out.info(inFail2ban.line);
  if (fleetWide) {
    const { announce } = await import('../fleet/announce.js');
    const database = await announce(ctx.config.fleet, { kind: 'lift', network, ...(jail ? { jail } : {}) }, options.fleetUrl);
    ctx.out.info(`unbanned ${what} fleet-wide: every host applies it from ${database}`);
  }
  return inFail2ban?.failed ? inFail2ban.line : undefined;
}
