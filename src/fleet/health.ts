// How this host stands with the fleet, for doctor and `fleet status`: reachable, schema current, how
// many events of other hosts it has not applied yet, how many of its own wait to be published.

import { shownPath } from '../input/quote.js';
import type { Config } from '../config/config.js';
import type { Store } from '../store/store.js';
import { parsePosition } from './log.js';
import { checkFleetSchema } from './migrate.js';
import { connect } from './pg.js';

export interface FleetHealth {
  readonly database: string;
  /** Events of other hosts after this host's position. */
  readonly behind: number;
  /** When the oldest of them was recorded, if any. */
  readonly oldest: string | null;
  /** Local events not published yet. */
  readonly waiting: number;
  readonly hosts: ReadonlyArray<{ name: string; lastSeen: number | null; position: string | null; version: string | null }>;
}

/** Throws (one line) when the database cannot be reached or its schema is not current. */
export async function fleetHealth(store: Store, config: Config): Promise<FleetHealth> {
  const local = store.read(() => {
    const published = Number(store.fleet.get('published') ?? 0);
    return { cursor: store.fleet.get('cursor'), waiting: store.fleet.waiting(published) };
  });
  const connection = await connect(config.fleet);
  try {
    await checkFleetSchema(connection);
    const position = parsePosition(local.cursor);
    const [lag] = await connection.query<{ events: string; oldest: string | null }>(
      `SELECT count(*)::text AS events, min(recorded_at)::text AS oldest FROM stickyban.events
        WHERE (xid, id) > ($1::xid8, $2::bigint) AND origin <> $3`,
      [position.xid.toString(), position.id.toString(), config.fleet.host],
    );
    const hosts = await connection.query<{ name: string; last_seen: string | null; position: string | null; version: string | null }>(
      // Bounded and escaped: each host writes its own row, and this is printed on the admin's terminal.
      'SELECT left(name, 64) AS name, extract(epoch FROM last_seen)::bigint::text AS last_seen, left(position, 64) AS position, left(version, 64) AS version FROM stickyban.hosts ORDER BY name',
    );
    // A host that does not subscribe applies nothing, one that does not publish sends nothing: no lag.
    return {
      database: connection.describe,
      behind: config.fleet.subscribe ? Number(lag!.events) : 0,
      oldest: config.fleet.subscribe ? lag!.oldest : null,
      waiting: config.fleet.publish ? local.waiting : 0,
      // Control characters escaped: a host role could write a fake line or a terminal escape.
      hosts: hosts.map((host) => ({ name: shownPath(host.name), lastSeen: host.last_seen === null ? null : Number(host.last_seen), position: host.position === null ? null : shownPath(host.position), version: host.version === null ? null : shownPath(host.version) })),
    };
  } finally {
    await connection.end();
  }
}
