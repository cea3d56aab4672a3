// `stickyban ban`: fail2ban's actionban. Called once per ban, sometimes hundreds at once, so it
// loads only what it needs and never commander (see main.ts).

import { formatNetwork } from '../address/format.js';
import { parseNetwork } from '../address/parse.js';
import { newBanEvent, recordBan, type BanOutcome, type BanRequest } from '../actions/ban.js';
import { describeConflict, lockoutConflict, protectedNetworks } from '../actions/lockout.js';
import type { Context } from './context.js';
import { OperationalError, StoreError, UsageError } from '../errors.js';
import { parseBantime } from '../input/duration.js';
import { parseFlag, parseJail, parseNote, parseSource } from '../input/names.js';
import { appendToSpool } from '../store/spool.js';
import type { Store } from '../store/store.js';
import { applySettled } from '../actions/live.js';
import { openStoreToWrite } from './open-store.js';

export interface BanOptions {
  readonly jail?: string;
  readonly bantime?: string;
  readonly reason?: string;
  readonly source?: string;
  readonly restored?: string;
  readonly force?: boolean;
}

/** Validates everything before anything is written: bad input exits 2 with the store untouched. */
export function parseBanRequest(address: string, options: BanOptions): BanRequest {
  const jail = options.jail === undefined ? 'manual' : parseJail(options.jail);
  return {
    network: parseNetwork(address),
    jail,
    bantime: options.bantime === undefined ? null : parseBantime(options.bantime),
    source: options.source === undefined ? 'manual' : parseSource(options.source),
    reason: options.reason === undefined ? null : parseNote(options.reason, 'reason') || null,
    restored: options.restored === undefined ? false : parseFlag(options.restored, '--restored'),
  };
}

export async function ban(address: string, options: BanOptions, ctx: Context): Promise<void> {
  const request = parseBanRequest(address, options);
  if (request.network.prefix === 0) {
    throw new UsageError(`refusing to ban ${formatNetwork(request.network)}: a /0 blocks every address`);
  }
  if (!options.force) {
    const conflict = lockoutConflict(request.network, protectedNetworks(ctx.env));
    if (conflict) throw new UsageError(describeConflict(request.network, conflict));
  }

  const event = newBanEvent(request, ctx.clock());
  let store: Store | undefined;
  let outcome: BanOutcome;
  try {
    store = await openStoreToWrite(ctx);
    outcome = recordBan(store, ctx.config, ctx.clock(), event);
  } catch (error) {
    store?.close();
    if (!(error instanceof StoreError)) throw error;
    // Never drop a ban: park it next to the store; the next command folds it in.
    let spool: string;
    try {
      spool = appendToSpool(ctx.config.db, event);
    } catch (spoolError) {
      throw new OperationalError(`${error.message}; and the ban could not be spooled either: ${(spoolError as Error).message}`);
    }
    throw new OperationalError(`${error.message}; the ban of ${formatNetwork(request.network)} was spooled to ${spool} and is recorded by the next stickyban command`);
  }
  try {
    await report(request, outcome, store, ctx);
  } finally {
    store.close();
  }
}

async function report(request: BanRequest, outcome: BanOutcome, store: Store, ctx: Context): Promise<void> {
  const what = `${formatNetwork(request.network)} (jail ${request.jail})`;
  if (outcome.safelistedBy.length > 0) {
    ctx.out.info(`recorded ${what}; not blocked: safelisted by ${outcome.safelistedBy.join(', ')}`);
  } else if (!outcome.blocked) {
    ctx.out.info(`recorded ${what}; not blocked yet: the policy needs ${ctx.config.policy.minBans} ban(s) from ${ctx.config.policy.jails.join(', ') || 'any jail'}`);
  }
  // The live add comes last: the ban is already safe in the store if the firewall tool fails.
  const absent = await applySettled(store, ctx, request.network, outcome, `recorded ${what}`);
  if (outcome.safelistedBy.length > 0 || !outcome.blocked) return;
  const verb = outcome.recorded ? 'banned' : 'already banned';
  ctx.out.info(absent ? `${verb} ${what}; ${absent}` : `${verb} ${what}`);
}
