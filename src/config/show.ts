// The effective configuration in the config file's own shape and units, for `stickyban config`:
// what the admin would write to get exactly this, defaults included. Scripts read single values
// from it (the netfilter-persistent plugin asks for the set names).

import { formatNetwork } from '../address/format.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../input/duration.js';
import { quote } from '../input/quote.js';
import { BUILTIN_SAFELIST, type Config } from './config.js';

type Value = string | number | boolean | readonly string[];
export type ConfigTable = Readonly<Record<string, Value | Readonly<Record<string, Value>>>>;

export function configTable(config: Config): ConfigTable {
  return {
    db: config.db,
    backend: config.backend,
    busy_timeout: formatDuration(config.busyTimeoutMs / 1000),
    safelist: config.safelist.filter((entry) => !BUILTIN_SAFELIST.includes(entry)).map(formatNetwork),
    policy: {
      jails: config.policy.jails,
      min_bans: config.policy.minBans,
      retention: config.policy.retentionSeconds === undefined ? 'never' : formatDuration(config.policy.retentionSeconds),
    },
    ipset: { set4: config.ipset.set4, set6: config.ipset.set6, chain: config.ipset.chain, hook_chains: config.ipset.hookChains },
    nftables: { table: config.nftables.table, priority: config.nftables.priority },
    route: { metric: config.route.metric },
    fail2ban: { config_dir: config.fail2ban.configDir, socket: config.fail2ban.socket, sync_ignoreip: config.fail2ban.syncIgnoreip },
    daemon: {
      prune_schedule: config.daemon.pruneSchedule,
      resync_schedule: config.daemon.resyncSchedule,
      heal_interval: formatDuration(config.daemon.healIntervalSeconds),
      metrics_file: config.daemon.metricsFile ?? '',
      socket: config.daemon.socket,
    },
    fleet: {
      url: config.fleet.url ?? '',
      password_file: config.fleet.passwordFile ?? '',
      host: config.fleet.host,
      publish: config.fleet.publish,
      subscribe: config.fleet.subscribe,
      accept_hosts: config.fleet.acceptHosts,
      accept_jails: config.fleet.acceptJails,
      max_prefix4: config.fleet.maxPrefix[4],
      max_prefix6: config.fleet.maxPrefix[6],
      sslmode: config.fleet.sslmode ?? '',
      ca_file: config.fleet.caFile ?? '',
      poll_interval: formatDuration(config.fleet.pollSeconds),
    },
  };
}

/** One value by its dotted key ("ipset.set4") as lines of output: a list gives one line per entry. */
export function configValue(table: ConfigTable, key: string): string {
  let value: unknown = table;
  // Own keys only: `constructor` or `toString` would find Object's own members.
  for (const part of key.split('.')) value = isSection(value) && Object.hasOwn(value, part) ? value[part] : undefined;
  if (value === undefined || isSection(value)) {
    throw new UsageError(`unknown config key ${quote(key)}: expected one of ${keys(table).join(', ')}`);
  }
  return (Array.isArray(value) ? value : [String(value)]).map((line) => `${line}\n`).join('');
}

function isSection(value: unknown): value is Readonly<Record<string, Value>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keys(table: ConfigTable): string[] {
  return Object.entries(table).flatMap(([key, value]) => (isSection(value) ? Object.keys(value).map((name) => `${key}.${name}`) : [key]));
}
