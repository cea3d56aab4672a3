// The shared log's rows, both ways, pure: a local ban event as the row this host appends, and a row
// of any host as the event applied here, validated as strictly as the command line validates its
// input (a row is outside input: another host may be broken or compromised). A row that fails is
// skipped with the reason, never applied and never a reason to stop.

import { HOST_NAME } from '../config/host-name.js';
import { safelistEntryProblem } from '../input/ban-record.js';
import { formatNetwork } from '../address/format.js';
import type { Network } from '../address/network.js';
import { isParseFailure, tryParseNetwork } from '../address/parse.js';
import type { FleetConfig } from '../config/config.js';
import { cleanNote, isJailName } from '../input/names.js';
import { uuidText } from '../store/ids.js';
import type { OutgoingBan } from '../store/fleet.js';

export type EventKind = 'ban' | 'lift' | 'safelist-add' | 'safelist-remove';

/** A position in the log: rows are read in (xid, id) order, the commit order (see cursor.ts). */
export interface Position {
  readonly xid: bigint;
  readonly id: bigint;
}

export interface FleetEvent {
  /** Its id in the log, for messages (a page's position is read from its last row). */
  readonly id: string;
  readonly uuid: Buffer;
  readonly origin: string;
  readonly kind: EventKind;
  readonly network: Network;
  /** A ban's jail; a lift's (undefined: every jail); none for the safelist. */
  readonly jail: string | undefined;
  readonly at: number;
  readonly bantime: number | null;
  readonly reason: string | null;
  readonly restored: boolean;
}

/** A row as the reading query returns it (see copy-row.ts): columns of their types, nothing trusted. */
export interface LogRow {
  readonly id: unknown;
  readonly xid: unknown;
  readonly uuid: unknown;
  readonly origin: unknown;
  readonly kind: unknown;
  /** The block (a Network), or text that may be one. */
  readonly address: unknown;
  readonly jail: unknown;
  readonly at: unknown;
  readonly bantime: unknown;
  readonly reason: unknown;
  readonly restored: unknown;
}

const KINDS: readonly EventKind[] = ['ban', 'lift', 'safelist-add', 'safelist-remove'];
/** Times before 2001 or after 2100 are not a ban's. */
const EARLIEST = 978_307_200;
const LATEST = 4_102_444_800;

/** The row's event, or what is wrong with it. Positions are checked first: a row without one cannot even be skipped. */
export function readRow(row: LogRow, limits: Pick<FleetConfig, 'maxPrefix'>): { event: FleetEvent } | { problem: string } {
  const id = String(row.id);
  const problem = (what: string) => ({ problem: `event ${id}: ${what}` });
  const uuid = row.uuid;
  if (!Buffer.isBuffer(uuid) || uuid.length !== 16) return problem('no valid event id');
  if (typeof row.origin !== 'string' || !HOST_NAME.test(row.origin)) return problem(`origin ${JSON.stringify(String(row.origin).slice(0, 70))} is not a host name`);
  if (!KINDS.includes(row.kind as EventKind)) return problem(`unknown kind ${JSON.stringify(String(row.kind).slice(0, 30))}`);
  const kind = row.kind as EventKind;
  // A block as copy-row.ts read it from the server's cidr, else text, judged as the command line judges it.
  const parsed = typeof row.address === 'string' ? tryParseNetwork(row.address) : isNetwork(row.address) ? row.address : undefined;
  if (parsed === undefined || isParseFailure(parsed)) return problem(`address ${JSON.stringify(String(row.address).slice(0, 60))} is not an address or CIDR block`);
  const network = parsed;
  if (kind === 'safelist-add') {
    const wrong = safelistEntryProblem(network);
    if (wrong !== undefined) return problem(`a safelist entry ${formatNetwork(network)} from ${row.origin}: it ${wrong}; refused`);
  }
  if (kind === 'ban') {
    if (network.prefix < limits.maxPrefix[network.family]) {
      return problem(`a ban of ${formatNetwork(network)} from ${row.origin} is wider than /${limits.maxPrefix[network.family]} (max_prefix${network.family}); refused`);
    }
  }
  const jail = row.jail ?? (kind === 'ban' ? 'fleet' : undefined);
  if (jail !== undefined && (typeof jail !== 'string' || !isJailName(jail))) return problem(`jail ${JSON.stringify(String(jail).slice(0, 70))} is not a jail name`);
  if (row.at === null) return problem('time is not finite');
  const at = Number(row.at);
  if (!Number.isInteger(at) || at < EARLIEST || at > LATEST) return problem(`time ${JSON.stringify(String(row.at).slice(0, 30))} is out of range`);
  const bantime = row.bantime === null || row.bantime === undefined ? null : Number(row.bantime);
  if (bantime !== null && (!Number.isInteger(bantime) || bantime < -1 || bantime > 100 * 365 * 86_400)) return problem(`bantime ${JSON.stringify(String(row.bantime).slice(0, 30))} is out of range`);
  const reason = typeof row.reason === 'string' ? cleanNote(row.reason) || null : null;
  return { event: { id, uuid, origin: row.origin, kind, network, jail, at, bantime, reason, restored: row.restored === true } };
}

function isNetwork(value: unknown): value is Network {
  return typeof value === 'object' && value !== null && 'family' in value && 'prefix' in value;
}

/** The columns of a local ban as this host appends it (see push in exchange.ts), under its fleet name. */
export function rowOf(ban: OutgoingBan, host: string): readonly unknown[] {
  return [uuidText(ban.uuid), host, formatNetwork(ban.network), ban.jail, ban.bannedAt, ban.bantime, ban.source, ban.reason, ban.restored];
}

export function formatPosition(position: Position): string {
  return `${position.xid}:${position.id}`;
}

export const START: Position = { xid: 0n, id: 0n };

/** A stored position; the start of the log for none (a host's first sync reads it all). */
export function parsePosition(text: string | undefined): Position {
  const match = text === undefined ? null : /^(\d+):(\d+)$/.exec(text);
  return match ? { xid: BigInt(match[1]!), id: BigInt(match[2]!) } : START;
}
