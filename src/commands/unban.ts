import { formatNetwork } from '../address/format.js';
import { parseNetwork } from '../address/parse.js';
import { changeAround } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { OperationalError } from '../errors.js';
import { parseJail } from '../input/names.js';
import { withApplyLock } from '../store/lock.js';
import { applySettled } from '../actions/live.js';
import { openStoreToWrite } from './open-store.js';

export interface UnbanOptions {
  readonly jail?: string;
}

/**
 * Lifts the bans of an address (or of every block inside a CIDR), of one jail or all. The events
 * stay as history; only this command lifts a permanent ban (fail2ban's actionunban does not).
 */
export async function unban(address: string, options: UnbanOptions, ctx: Context): Promise<void> {
  const network = parseNetwork(address);
  const jail = options.jail === undefined ? undefined : parseJail(options.jail);
  const store = await openStoreToWrite(ctx);
  try {
    await withApplyLock(store.path, async () => {
      const now = ctx.clock();
      const { result: lifted, ...change } = store.write(() =>
        changeAround(store, ctx.config, now, network, () => store.bans.lift(network, jail, now, 'unban')),
      );
      const what = `${formatNetwork(network)}${jail ? ` in jail ${jail}` : ''}`;
      if (lifted === 0) throw new OperationalError(`${what} has no active ban to lift (see stickyban show ${formatNetwork(network)})`);
      const absent = await applySettled(store, ctx, network, change, `lifted ${lifted} ban event(s) of ${what} in the store`);
      ctx.out.info(`unbanned ${what} (${lifted} ban event(s) lifted)${absent ? `; ${absent}` : ''}`);
      const enclosing = store.bans.activeEnclosing(network);
      if (enclosing.length > 0) ctx.out.warn(`${formatNetwork(network)} is still banned as part of ${enclosing.join(', ')}`);
    });
  } finally {
    store.close();
  }
}
