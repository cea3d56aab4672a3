// The fleet database's URI, as the config's [fleet] url and the admin commands' --url and
// --fleet-url give it: checked once, the same way, before anything is written. The PostgreSQL client
// itself reads the files some query parameters name (sslcert, sslkey, sslrootcert), unbounded and
// blocking, unchecked for who may read them: the config names the CA by ca_file instead.

import { UsageError } from '../errors.js';
import type { FleetConfig } from './config.js';

const MAX_LENGTH = 2000;
const FILE_PARAMETERS = ['sslcert', 'sslkey', 'sslrootcert', 'sslcrl', 'passfile'];
export const FLEET_URL_EXPECTED = 'a PostgreSQL connection URI such as postgresql://stickyban_web1@db.example.net/stickyban';

/** What is wrong with `value` as the fleet's URI, or undefined. */
export function fleetUrlProblem(value: string): string | undefined {
  if (!/^postgres(ql)?:\/\//.test(value) || value.length > MAX_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) return `must be ${FLEET_URL_EXPECTED}`;
  const query = value.indexOf('?');
  if (query < 0) return undefined;
  for (const pair of value.slice(query + 1).split('&')) {
    let name: string;
    try {
      name = decodeURIComponent(pair.split('=')[0] ?? '').toLowerCase();
    } catch {
      return `must be ${FLEET_URL_EXPECTED} (its query has a bad % escape)`;
    }
    if (FILE_PARAMETERS.includes(name)) return `names a file by ${name}, which is not read from a URI: give a CA as [fleet] ca_file, a password as [fleet] password_file`;
  }
  return undefined;
}

/**
 * The URI a fleet-wide change (--fleet, --fleet-url) goes to, checked before the local change is
 * written: a command that cannot reach the fleet must not half-do its work and then say "invalid".
 */
export function fleetTarget(fleet: FleetConfig, options: { readonly fleet?: boolean; readonly fleetUrl?: string }, option = '--fleet-url'): string | undefined {
  if (options.fleet !== true && options.fleetUrl === undefined) return undefined;
  const url = options.fleetUrl ?? fleet.url;
  if (url === undefined) throw new UsageError('no fleet is configured: set url in the [fleet] section of the config file (see README, "Fleet"), or give --fleet-url');
  return options.fleetUrl === undefined ? url : checkedUrlOption(url, option);
}

/** A URI given on the command line, checked as the config's is. */
export function checkedUrlOption(url: string, option: string): string {
  const problem = fleetUrlProblem(url);
  if (problem !== undefined) throw new UsageError(`invalid ${option} ${JSON.stringify(url.slice(0, 80))}: it ${problem}`);
  return url;
}
