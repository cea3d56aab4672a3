// `stickyban ban`: fail2ban's actionban. Called once per ban, sometimes hundreds at once, so it
// loads only what it needs and never commander (see main.ts).

import { formatNetwork } from '../address/format.js';
import { contains } from '../address/network.js';
import { describeBan, newBanEvent, plannedIfRecorded, recordBanOwing, refuseReusedEventId, replayOfHeld, type BanOutcome, type BanRequest } from '../actions/ban.js';
import type { LiveOwed } from '../actions/live-owed.js';
import { parseBanRequest, refuseHarmful, type BanFields } from '../actions/ban-request.js';
import type { Context } from './context.js';
import { eachAddress } from './each-address.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ERROR_KINDS, OperationalError, StoreError, StoreMissingError, UsageError } from '../errors.js';
import type { BanEvent } from '../store/bans.js';
import { uuidText } from '../store/ids.js';
import { shownPath } from '../input/quote.js';
import { appendToSpool } from '../store/spool.js';
import { spoolableWithoutStore } from '../store/store-file.js';
import type { Store } from '../store/store.js';
import { applyLive, applySettled } from '../actions/live.js';
import { isEmptyDelta } from '../plan/diff.js';
import { openStore, openStoreToWrite } from './open-store.js';

export interface BanOptions extends BanFields {
  /** Not through the daemon: the action asked it already, and it did not answer in time (a hung daemon would cost each ban its wait twice). */
  readonly direct?: boolean;
}

/**
 * Bans each address in turn. Every one is checked first, as fail2ban-client's banip checks its
 * addresses: one that is not valid, or that would lock the admin out, means none is recorded. An
 * address given twice is banned once. One that fails after that does not stop the others (each-address.ts).
 */
export async function ban(addresses: readonly string[], options: BanOptions, ctx: Context): Promise<void> {
  if (addresses.length > 1 && options.eventId !== undefined) throw new UsageError('--event-id names one ban event: expected one address with it');
  const requests = new Map<string, { address: string; request: BanRequest }>();
  for (const address of addresses) {
    const request = parseBanRequest(address, options);
    refuseHarmful(request, options.force === true, ctx.env);
    const key = formatNetwork(request.network);
    if (!requests.has(key)) requests.set(key, { address, request });
  }
  await eachAddress([...requests.values()], ({ address, request }) => banOne(address, request, options, ctx), ctx.out);
}

async function banOne(address: string, request: BanRequest, options: BanOptions, ctx: Context): Promise<void> {
  const event = newBanEvent(request, ctx.clock());
  // The daemon, when it runs for this store, records it (one writer, no store to open here); when
  // it is absent or cannot, the command does it itself, under the same event id.
  const answered = options.direct === true ? undefined : await banThroughDaemon(address, options, event, ctx);
  if (answered !== undefined) {
    ctx.out.info(answered);
    return;
  }
  let store: Store | undefined;
  let outcome: BanOutcome;
  let owed: LiveOwed | undefined;
  try {
    store = await openStoreToWrite(ctx);
    ({ outcome, owed } = recordBanOwing(store, ctx.config, ctx.clock(), event));
    refuseReusedEventId(outcome, event);
  } catch (error) {
    store?.close();
    if (error instanceof StoreMissingError) throw spoolWithoutStore(ctx.config.db, event, error);
    if (!(error instanceof StoreError)) throw error;
    // A replay of a ban the store holds needs no write (fail2ban replays every ban it holds when it
    // starts): answered from a read, as the daemon answers it, when the store cannot be written (a
    // read-only mount), instead of failing, or spooling what is there already.
    const held = event.restored ? await heldReplay(event, ctx) : undefined;
    if (held !== undefined) {
      ctx.out.info(describeBan(request, held, ctx.config.policy).line);
      return;
    }
    // Nothing to try again: the ban waits in the spool, and the daemon or the next command records it.
    throw new OperationalError(`${error.what}; ${await spool(request, event, options.force === true, error, ctx)}`);
  }
  try {
    await report(request, outcome, owed, store, ctx);
  } finally {
    store.close();
  }
}

/** The outcome of a replay of a ban the store holds (replayOfHeld), read-only; undefined otherwise, or when the store cannot be read (the write path then says why). */
async function heldReplay(event: BanEvent, ctx: Context): Promise<BanOutcome | undefined> {
  let store: Store | undefined;
  try {
    store = await openStore(ctx, { reading: true });
    const reading = store;
    return reading.read(() => replayOfHeld(reading, ctx.config, ctx.clock(), event));
  } catch {
    return undefined;
  } finally {
    store?.close();
  }
}

/**
 * Never drops a ban: parks it next to the store (the daemon folds it in within a second, else the
 * next command that writes), and makes it live meanwhile when the store can still be read: a ban
 * that waits in the spool must not leave its address open. Says which.
 */
async function spool(request: BanRequest, event: BanEvent, forced: boolean, why: StoreError, ctx: Context): Promise<string> {
  let path: string;
  try {
    // --force goes with it: the fold holds the line to the lockout guard otherwise.
    path = appendToSpool(ctx.config.db, event, undefined, forced);
  } catch (spoolError) {
    throw new OperationalError(`${why.message}; and the ban could not be spooled either: ${(spoolError as Error).message}`);
  }
  const spooled = `the ban of ${formatNetwork(request.network)} was spooled to ${shownPath(path)}, which the daemon or the next stickyban command records`;
  return `${spooled}; ${await blockWhileSpooled(request, ctx)}`;
}

async function blockWhileSpooled(request: BanRequest, ctx: Context): Promise<string> {
  let store: Store | undefined;
  try {
    store = await openStore(ctx);
    const delta = plannedIfRecorded(store, ctx.config, ctx.clock(), request);
    if (delta === undefined) return 'it is made live when it is recorded (a replay, or a policy that counts offences, needs the write)';
    if (isEmptyDelta(delta)) return 'the live set needs no change for it';
    const absent = await applyLive(store, ctx, delta);
    return absent ? `not live: ${absent}` : 'blocked meanwhile';
  } catch (error) {
    return `not blocked until it is recorded: ${(error as Error).message}`;
  } finally {
    store?.close();
  }
}

/**
 * A store that is missing is never made here (only `stickyban init` makes one). The ban is still
 * not lost when it can be kept where the store belongs: in a spool file beside it, when its
 * directory exists and is trusted as the store's own (nothing else is created, no directory
 * made); `stickyban init` folds it in. Anywhere else (a mistyped path) it is refused. Either way
 * the hook fails with one line, exit 1, which fail2ban logs. (Nothing makes it live meanwhile:
 * without the store, its safelist is not known.)
 */
function spoolWithoutStore(db: string, event: BanEvent, error: StoreMissingError): OperationalError {
  // A ban by hand has the admin there to see the line: a mistyped --db is not left a spool file.
  const why = event.source === 'manual' ? "it is a ban by hand (source manual): only a hook's ban waits in a spool for a missing store" : spoolableWithoutStore(db);
  if (why !== undefined) return new OperationalError(`${error.message}; the ban of ${formatNetwork(event.network)} was not recorded: ${why}`);
  let path: string;
  try {
    path = appendToSpool(db, event);
  } catch (spoolError) {
    return new OperationalError(`${error.message}; and the ban could not be spooled either: ${(spoolError as Error).message}`);
  }
  return new OperationalError(`${error.message}; the ban of ${formatNetwork(event.network)} was spooled to ${shownPath(path)} and is recorded when stickyban init creates the store`);
}

/** The daemon's answer, or undefined when the command must do the work itself. */
async function banThroughDaemon(address: string, options: BanOptions, event: BanEvent, ctx: Context): Promise<string | undefined> {
  const socket = ctx.config.daemon.socket;
  if (!existsSync(socket)) return undefined;
  const { ask } = await import('../daemon/socket/client.js');
  const reply = await ask(socket, {
    op: 'ban',
    address,
    jail: options.jail,
    bantime: options.bantime,
    reason: options.reason,
    source: options.source,
    restored: options.restored,
    // Only a replay needs its time, and a daemon from before the field refuses a request with it.
    ...(event.restored && options.time !== undefined ? { time: options.time } : {}),
    ...(options.duration !== undefined ? { duration: options.duration } : {}),
    force: options.force === true,
    event_id: uuidText(event.uuid),
    db: resolve(ctx.config.db),
  });
  if (!reply.answered) {
    if (reply.refused) ctx.out.warn(`${reply.why}; recording the ban here`);
    else ctx.out.detail(`recording it here: ${reply.why}`);
    return undefined;
  }
  const { response } = reply;
  if (response.ok) {
    // The daemon judges by the config it loaded: one edited since (a safelist entry added) is not
    // in force there until it is reloaded, and this command must not say nothing of it.
    const safelisted = response.blocked === true ? ctx.config.safelist.find((range) => range.family === event.network.family && contains<number | bigint>(range, event.network)) : undefined;
    if (safelisted !== undefined) {
      ctx.out.warn(`the daemon blocks ${formatNetwork(event.network)}, which ${ctx.config.file} safelists (${formatNetwork(safelisted)}): it runs the config as it was; systemctl reload stickyban (SIGHUP) puts the file in force`);
    }
    return String(response.message);
  }
  if (response.code === ERROR_KINDS.invalid.response) throw new UsageError(response.error);
  ctx.out.detail(`recording it here: the daemon could not: ${response.error}`);
  return undefined;
}

async function report(request: BanRequest, outcome: BanOutcome, owed: LiveOwed | undefined, store: Store, ctx: Context): Promise<void> {
  const { blocks, line } = describeBan(request, outcome, ctx.config.policy);
  if (!blocks) ctx.out.info(line);
  // The live add comes last: the ban is already safe in the store if the firewall tool fails.
  const absent = await applySettled(store, ctx, request.network, outcome, `recorded ${formatNetwork(request.network)} (jail ${request.jail})`, owed);
  if (!blocks) return;
  ctx.out.info(absent ? `${line}; ${absent}` : line);
  if (absent || !outcome.blocked || isEmptyDelta(outcome.delta) || ctx.out.quiet) return;
  // An entry added to a set nothing uses blocks nothing: an admin banning by hand is told when a
  // rule or jump is missing (a reload dropped it), as far as a few cheap tool calls tell (not the
  // nftables rules: listing them reads back every element). Not the hook's: fail2ban's ban pays no
  // extra tool calls for it; the daemon puts them back, and doctor reports them.
  const { readKernel, blocksNothing } = await import('../actions/kernel.js');
  const nothing = blocksNothing(await readKernel(store, ctx, { rules: false }), request.network.family);
  if (nothing) ctx.out.warn(`${formatNetwork(request.network)} is recorded and in the live set, but not blocked: ${nothing.why} (${nothing.fix})`);
}
