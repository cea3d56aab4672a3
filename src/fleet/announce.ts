// A fleet-wide change, appended to the log by the admin role (a host role may append its own bans
// only): a lift of an address's permanent ban, or a safelist entry added or removed, which every
// host applies as if its admin had made it there. The host that makes it has made it locally first.

import { formatNetwork } from '../address/format.js';
import type { Network } from '../address/network.js';
import type { FleetConfig } from '../config/config.js';
import { OperationalError } from '../errors.js';
import { uuidText, uuidv7 } from '../store/ids.js';
import { checkFleetSchema } from './migrate.js';
import { connect } from './pg.js';

export interface FleetChange {
  readonly kind: 'lift' | 'safelist-add' | 'safelist-remove';
  readonly network: Network;
  /** A lift of one jail's bans only. */
  readonly jail?: string;
  /** A safelist entry's note. */
  readonly note?: string | null;
}

/** Appends the change through `url` (the admin's), or the config's URI. */
export async function announce(fleet: FleetConfig, change: FleetChange, url?: string): Promise<string> {
  const connection = await connect(fleet, url ?? fleet.url);
  try {
    await checkFleetSchema(connection);
    await connection.query(
      'INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, reason) VALUES ($1, $2, $3, $4, $5, now(), $6)',
      [uuidText(uuidv7()), fleet.host, change.kind, formatNetwork(change.network), change.jail ?? null, change.note ?? null],
    ).catch((error: Error) => {
      if (/row-level security/.test(error.message)) {
        throw new OperationalError(`the fleet database ${connection.describe} refused it: fleet-wide changes need the admin role (pass --fleet-url with the admin's URI)`);
      }
      throw error;
    });
    return connection.describe;
  } finally {
    await connection.end();
  }
}
