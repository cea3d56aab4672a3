import { formatNetwork } from '../address/format.js';
import { contains, overlaps } from '../address/network.js';
import { parseNetwork } from '../address/parse.js';
import { planAround } from '../actions/plan-store.js';
import type { Context } from './context.js';
import { formatTable } from './table.js';
import { formatTime } from '../clock.js';
import { BUILTIN_SAFELIST } from '../config/config.js';
import { formatDuration } from '../input/duration.js';
import { ENDED_BY_DURATION, type EventRow } from '../store/bans.js';
import { uuidText } from '../store/ids.js';
import { openStore } from './open-store.js';
import type { Network } from '../address/network.js';
import { blocksNothing, readKernel } from '../actions/kernel.js';
import { StickybanError } from '../errors.js';
import { describeLiveSet } from '../firewall/describe.js';
import type { FirewallBackend } from '../firewall/backend.js';
import type { Store } from '../store/store.js';

/**
 * What the kernel does about `network`: blocked (null when it could not be read), and where it
 * looked or what stops it; `bypass`: the admin's rules ahead of the drop that let what they match
 * past it (the address may be among it).
 */
interface Kernel {
  readonly blocked: boolean | null;
  readonly where: string | undefined;
  readonly problem: string | undefined;
  readonly bypass?: string;
  /** Not blocked whatever the set holds (a rule or jump missing, an ACCEPT ahead of the jump): not the set's fault; what fixes it. */
  readonly unhooked?: string;
}

async function readBlocked(store: Store, ctx: Context, network: Network): Promise<Kernel> {
  try {
    const reading = await readKernel(store, ctx);
    const where = describeLiveSet(ctx.config, reading.backend.name, network.family);
    const nothing = blocksNothing(reading, network.family);
    if (nothing) return { blocked: false, where, problem: nothing.why, unhooked: nothing.fix };
    const held = await reading.backend.holds(network);
    const some = reading.bypassedSome[network.family];
    const bypass = held && some.length > 0 ? some.join('; ') : undefined;
    return { blocked: held, where, problem: held ? undefined : await notHeld(reading.backend, network, where), ...(bypass === undefined ? {} : { bypass }) };
  } catch (error) {
    // Not root, a tool missing: the store's side is still worth showing.
    if (!(error instanceof StickybanError)) throw error;
    return { blocked: null, where: undefined, problem: `the live set could not be read: ${error.message}` };
  }
}

/** Why the live set does not block all of `network`: none of it is there, or (a block) only part. */
async function notHeld(backend: FirewallBackend, network: Network, where: string): Promise<string> {
  if (network.first === network.last) return `not in ${where}`;
  const coverage = (await backend.liveIndex(network.family))?.coverage(network);
  return coverage === 'partial' ? `only part of it is in ${where}` : `not in ${where}`;
}

/**
 * Everything known about one address or block: whether the kernel blocks it (read from the live set,
 * with the rule that uses it), whether the store plans to, why, and its history.
 */
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
          .map((entry) => ({ address: formatNetwork(entry), note: null, origin: BUILTIN_SAFELIST.includes(entry) ? 'built-in' : 'config' })),
      ],
    }));
    const planned = entries.some((entry) => contains<number | bigint>(entry, network));
    const kernel = await readBlocked(store, ctx, network);
    const result = {
      address: formatNetwork(network),
      blocked: kernel.blocked,
      kernel: kernel.where ?? null,
      ...(kernel.problem === undefined ? {} : { live_problem: kernel.problem }),
      ...(kernel.bypass === undefined ? {} : { live_warning: `unless a rule ahead of the drop lets it through: ${kernel.bypass}` }),
      planned,
      planned_entries: entries.map((entry) => formatNetwork({ ...entry, family: network.family } as never)),
      safelisted_by: safelist,
      events: events.map((event) => shownEvent(event, now)),
    };
    if (options.json) {
      ctx.out.data(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const differs = kernel.blocked !== null && kernel.blocked !== planned && kernel.unhooked === undefined;
    const lines = [
      `address:   ${result.address}`,
      `blocked:   ${kernel.blocked === null ? `unknown: ${kernel.problem}` : kernel.blocked ? `yes (${kernel.where})${result.live_warning ? `, ${result.live_warning}` : ''}` : `no: ${kernel.problem}${kernel.unhooked ? ` (${kernel.unhooked})` : ''}`}`,
      `planned:   ${planned ? 'yes' : entries.length > 0 ? `partly (${result.planned_entries.join(', ')})` : 'no'}${differs ? ' (the live set differs from the plan; fix: stickyban restore)' : ''}`,
    ];
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
          stateOf(event),
          event.reason ?? '',
        ]),
      )}`,
    );
  } finally {
    store.close();
  }
}

/** One event as show prints it. A temporary ban still running is lifted at its end, a time still to come: not lifted yet. */
function shownEvent(event: EventRow, now: number) {
  const lifted = event.lifted_at !== null && event.lifted_at <= now;
  return {
    id: uuidText(event.uuid),
    address: event.address,
    jail: event.jail,
    banned_at: formatTime(event.banned_at),
    bantime: event.bantime,
    source: event.source,
    reason: event.reason,
    restored: event.restored === 1,
    until: event.until === null ? null : formatTime(event.until),
    lifted_at: lifted ? formatTime(event.lifted_at!) : null,
    lifted_by: lifted ? event.lifted_by : null,
    origin: event.origin,
  };
}

/** An event's state in words: lifted (or ended, a temporary ban that ran to its end), running until its end, a replay, or active. */
function stateOf(event: { until: string | null; lifted_at: string | null; lifted_by: string | null; restored: boolean }): string {
  if (event.lifted_at !== null) return event.lifted_by === ENDED_BY_DURATION ? `ended ${event.lifted_at}` : `lifted ${event.lifted_at}`;
  if (event.until !== null) return `until ${event.until}`;
  return event.restored ? 'restored' : 'active';
}
