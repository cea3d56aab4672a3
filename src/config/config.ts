// Settings come from defaults <- config file <- environment <- flags. The file is optional; when it is
// absent stickyban runs on the defaults, so a fresh install needs no configuration at all.

import { isMissing } from '../files/is-missing.js';
import { hostname } from 'node:os';
import { fleetUrlProblem } from './fleet-url.js';
import { safelistEntryProblem } from '../input/ban-record.js';
import { HOST_NAME, HOST_NAME_EXPECTED } from './host-name.js';
import { UsageError } from '../errors.js';
import { readConfigFile } from './config-file.js';
import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { network4, network6, type Network } from '../address/network.js';
import { isJailName } from '../input/names.js';
import { quote, shownPath } from '../input/quote.js';
import { replacedBytes } from '../input/path-text.js';
import { durationRange, readDuration, DURATION_EXPECTED, MAX_SECONDS } from '../input/duration.js';

export type BackendName = 'ipset' | 'nftables' | 'route';
export const BACKENDS: readonly BackendName[] = ['ipset', 'nftables', 'route'];

export interface Policy {
  /** Jails whose bans feed the permanent list; empty means every jail. */
  readonly jails: readonly string[];
  /** Offences needed before an address becomes permanent. */
  readonly minBans: number;
  /** An address whose last ban is older than this leaves the list; undefined keeps it forever. */
  readonly retentionSeconds: number | undefined;
}

/** Whether bans of `jail` feed the permanent list under `policy`. */
export function feedsPolicy(policy: Policy, jail: string): boolean {
  return policy.jails.length === 0 || policy.jails.includes(jail);
}

export interface Config {
  readonly file: string | undefined;
  readonly db: string;
  readonly backend: BackendName;
  readonly busyTimeoutMs: number;
  /** Ranges that are never blocked, on top of the store's safelist. */
  readonly safelist: readonly Network[];
  readonly policy: Policy;
  readonly ipset: { readonly set4: string; readonly set6: string; readonly chain: string; readonly hookChains: readonly string[] };
  readonly nftables: { readonly table: string; readonly priority: number };
  readonly route: { readonly metric: number };
  readonly fail2ban: {
    readonly configDir: string;
    /** Where fail2ban-server listens (fail2ban.conf's socket): unban --fail2ban, the safelist and doctor talk to it. */
    readonly socket: string;
    /** Safelist changes go to the ignore list of every running jail too, as with safelist --fail2ban. */
    readonly syncIgnoreip: boolean;
  };
  readonly fleet: FleetConfig;
  readonly daemon: {
    readonly pruneSchedule: string;
    /** When the daemon rebuilds the live set from the store whatever it finds (cron); '' never. */
    readonly resyncSchedule: string;
    readonly healIntervalSeconds: number;
    readonly metricsFile: string | undefined;
    /** Where the daemon takes requests (bans from the fail2ban action); the commands find it there too. */
    readonly socket: string;
  };
}

/** Sharing bans with other hosts through PostgreSQL (src/fleet/); off until `url` is set. */
export interface FleetConfig {
  /** A libpq connection URI (postgresql://…); the PG* environment and ~/.pgpass work as usual. */
  readonly url: string | undefined;
  /** A file holding the password (refused when others may read it). */
  readonly passwordFile: string | undefined;
  /** This host's name in the fleet. */
  readonly host: string;
  /** Send this host's bans to the fleet; apply the other hosts' bans here. */
  readonly publish: boolean;
  readonly subscribe: boolean;
  /** Apply only bans from these hosts / jails; empty: all. */
  readonly acceptHosts: readonly string[];
  readonly acceptJails: readonly string[];
  /** The widest remote ban applied, per family: one compromised host must not block the world. */
  readonly maxPrefix: { readonly 4: number; readonly 6: number };
  /** libpq's sslmode, and the CA to verify the server with. */
  readonly sslmode: SslMode | undefined;
  readonly caFile: string | undefined;
  /** How often the log is read even without a notification (they are lost while disconnected). */
  readonly pollSeconds: number;
}

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

export const DEFAULT_CONFIG_FILE = '/etc/stickyban/config.toml';
/** The daemon's check interval, from the config or --heal-interval: setInterval takes no more than ~24.8 days. */
export const HEAL_INTERVAL_SECONDS = { min: 1, max: 86_400 } as const;
export const DEFAULT_DB = '/var/lib/stickyban/stickyban.db';

/** Loopback is always safelisted: blocking it breaks the host, and no ban ever means it. */
export const BUILTIN_SAFELIST: readonly Network[] = [network4(0x7f000000, 8), network6(1n, 128)];

export const DEFAULTS: Config = {
  file: undefined,
  db: DEFAULT_DB,
  backend: 'ipset',
  busyTimeoutMs: 10_000,
  safelist: BUILTIN_SAFELIST,
  policy: { jails: [], minBans: 1, retentionSeconds: 180 * 86_400 },
  ipset: { set4: 'stickyban4', set6: 'stickyban6', chain: 'Blocklist', hookChains: ['INPUT'] },
  nftables: { table: 'stickyban', priority: -10 },
  route: { metric: 4242 },
  fail2ban: { configDir: '/etc/fail2ban', socket: '/run/fail2ban/fail2ban.sock', syncIgnoreip: false },
  daemon: { pruneSchedule: '17 4 * * *', resyncSchedule: '47 */6 * * *', healIntervalSeconds: 30, metricsFile: undefined, socket: '/run/stickyban/stickyban.sock' },
  fleet: {
    url: undefined,
    passwordFile: undefined,
    host: hostname(),
    publish: true,
    subscribe: true,
    acceptHosts: [],
    acceptJails: [],
    maxPrefix: { 4: 16, 6: 32 },
    sslmode: undefined,
    caFile: undefined,
    pollSeconds: 2,
  },
};

export interface ConfigOverrides {
  readonly config?: string | undefined;
  readonly db?: string | undefined;
}

/** Loads the effective configuration. An explicitly named config file must exist; the default may not. */
export async function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<Config> {
  const named = overrides.config ?? env.STICKYBAN_CONFIG;
  const file = named ?? DEFAULT_CONFIG_FILE;
  let config = DEFAULTS;
  const replaced = named === undefined ? undefined : replacedBytes(named);
  if (replaced) throw new UsageError(`invalid config file ${quote(named!)}: ${replaced}`);
  if (named !== undefined && isMissing(named)) {
    throw new UsageError(`config file ${quote(named)} does not exist; expected a TOML file (see contrib/examples/config.toml)`);
  }
  if (!isMissing(file)) {
    const { parse } = await import('./toml.js');
    const text = readConfigFile(file);
    let table: Record<string, unknown>;
    try {
      // Integers as bigints: a float (2.0) is then a number, told apart from an integer, and refused where one is wanted.
      table = parse(text, { integersAsBigInt: true });
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0];
      throw new UsageError(`config file ${shownPath(file)} is not valid TOML: ${reason}`);
    }
    config = fromTable(table, file);
  }
  if (env.STICKYBAN_SOCKET !== undefined) {
    // A Unix socket's path is at most 107 bytes: a longer one is cut short by the kernel, and the
    // daemon would listen elsewhere than it checked.
    if (!env.STICKYBAN_SOCKET.startsWith('/') || Buffer.byteLength(env.STICKYBAN_SOCKET) > 107) {
      throw new UsageError(`invalid STICKYBAN_SOCKET ${quote(env.STICKYBAN_SOCKET)}: expected an absolute path of at most 107 bytes`);
    }
    config = { ...config, daemon: { ...config.daemon, socket: env.STICKYBAN_SOCKET } };
  }
  const db = overrides.db ?? env.STICKYBAN_DB ?? config.db;
  const wrong = wrongPath(db);
  if (wrong) {
    const from = overrides.db !== undefined ? '--db' : env.STICKYBAN_DB !== undefined ? 'STICKYBAN_DB' : `"db" in ${file}`;
    throw new UsageError(`invalid ${from} ${quote(db)}: ${wrong}`);
  }
  return { ...config, db };
}

/** Linux's PATH_MAX and NAME_MAX, in bytes: a longer path fails at the first open anyway. */
const PATH_MAX = 4096;
const NAME_MAX = 255;

/** What is wrong with the store's path as a path, before anything is made there. */
function wrongPath(db: string): string | undefined {
  if (db === '') return 'expected the path of the SQLite store';
  if (db.includes('\0')) return 'expected a path without NUL characters';
  const replaced = replacedBytes(db);
  if (replaced) return replaced;
  if (Buffer.byteLength(db) >= PATH_MAX) return `expected a path shorter than ${PATH_MAX} bytes`;
  if (db.split('/').some((name) => Buffer.byteLength(name) > NAME_MAX)) return `expected no name in the path longer than ${NAME_MAX} bytes`;
  return undefined;
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKENDS as readonly string[]).includes(value);
}

export function backendName(value: unknown, where: string): BackendName {
  if (isBackendName(value)) return value;
  throw new UsageError(`invalid ${where} ${quote(String(value))}: expected one of ${BACKENDS.join(', ')}`);
}

/** Reads and checks every known key; an unknown key is an error, since a typo would silently do nothing. */
function fromTable(table: Record<string, unknown>, file: string): Config {
  const read = new TableReader(table, file);
  const policy = read.section('policy');
  const ipset = read.section('ipset');
  const nftables = read.section('nftables');
  const route = read.section('route');
  const daemon = read.section('daemon');
  const fail2ban = read.section('fail2ban');
  const fleet = read.section('fleet');
  const chain = ipset.name('chain', DEFAULTS.ipset.chain, 28);
  const url = fleet.url('url');
  const config: Config = {
    file,
    db: read.filePath('db', DEFAULTS.db),
    backend: backendName(read.string('backend', DEFAULTS.backend), `"backend" in ${file}`),
    busyTimeoutMs: read.duration('busy_timeout', DEFAULTS.busyTimeoutMs / 1000, 0, 3600) * 1000,
    safelist: [...BUILTIN_SAFELIST, ...read.strings('safelist', []).map((entry) => read.safelistEntry('safelist', entry))],
    policy: {
      jails: policy.strings('jails', [...DEFAULTS.policy.jails]).map((jail) => policy.jail('jails', jail)),
      minBans: policy.integer('min_bans', DEFAULTS.policy.minBans, 1, 1_000_000),
      retentionSeconds: policy.durationOrNever('retention', DEFAULTS.policy.retentionSeconds),
    },
    ipset: {
      set4: ipset.name('set4', DEFAULTS.ipset.set4, 22),
      set6: ipset.name('set6', DEFAULTS.ipset.set6, 22),
      chain,
      // A chain cannot jump to itself (iptables: "Too many links"), and one named twice would get
      // two jumps that fail every later restore. Both are dropped, not refused: the ban hook reads
      // this file too, and must not lose bans over a rule it never touches.
      hookChains: [...new Set(ipset.strings('hook_chains', [...DEFAULTS.ipset.hookChains]).map((hook) => ipset.checkedName('hook_chains', hook, 28)))].filter((hook) => hook !== chain),
    },
    nftables: {
      table: nftables.name('table', DEFAULTS.nftables.table, 64),
      priority: nftables.integer('priority', DEFAULTS.nftables.priority, -1000, 1000),
    },
    route: { metric: route.integer('metric', DEFAULTS.route.metric, 1, 2 ** 32 - 1) },
    fail2ban: {
      configDir: fail2ban.filePath('config_dir', DEFAULTS.fail2ban.configDir),
      socket: fail2ban.absolutePath('socket', DEFAULTS.fail2ban.socket),
      syncIgnoreip: fail2ban.boolean('sync_ignoreip', DEFAULTS.fail2ban.syncIgnoreip),
    },
    daemon: {
      pruneSchedule: daemon.string('prune_schedule', DEFAULTS.daemon.pruneSchedule),
      resyncSchedule: daemon.string('resync_schedule', DEFAULTS.daemon.resyncSchedule),
      healIntervalSeconds: daemon.duration('heal_interval', DEFAULTS.daemon.healIntervalSeconds, HEAL_INTERVAL_SECONDS.min, HEAL_INTERVAL_SECONDS.max),
      metricsFile: daemon.filePath('metrics_file', DEFAULTS.daemon.metricsFile ?? '') || undefined,
      socket: daemon.absolutePath('socket', DEFAULTS.daemon.socket),
    },
    fleet: {
      url,
      passwordFile: fleet.filePath('password_file', '') || undefined,
      host: fleet.hostName('host', url !== undefined),
      publish: fleet.boolean('publish', DEFAULTS.fleet.publish),
      subscribe: fleet.boolean('subscribe', DEFAULTS.fleet.subscribe),
      acceptHosts: fleet.strings('accept_hosts', []).map((host) => fleet.checkedHostName('accept_hosts', host)),
      acceptJails: fleet.strings('accept_jails', []).map((jail) => fleet.jail('accept_jails', jail)),
      maxPrefix: { 4: fleet.integer('max_prefix4', DEFAULTS.fleet.maxPrefix[4], 1, 32), 6: fleet.integer('max_prefix6', DEFAULTS.fleet.maxPrefix[6], 1, 128) },
      sslmode: fleet.oneOf('sslmode', SSL_MODES),
      caFile: fleet.filePath('ca_file', '') || undefined,
      pollSeconds: fleet.duration('poll_interval', DEFAULTS.fleet.pollSeconds, 1, 3600),
    },
  };
  for (const reader of [read, policy, ipset, nftables, route, daemon, fail2ban, fleet]) reader.rejectUnknown();
  if (config.ipset.set4 === config.ipset.set6) throw new UsageError(`config file ${shownPath(file)}: "ipset.set4" and "ipset.set6" must name two different sets`);
  return config;
}

class TableReader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly table: Record<string, unknown>,
    private readonly file: string,
    private readonly prefix = '',
  ) {}

  section(name: string): TableReader {
    const value = this.take(name);
    if (value === undefined) return new TableReader({}, this.file, `${name}.`);
    // A TOML date or time is an object too (smol-toml's TomlDate): not a table.
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) throw this.error(name, 'must be a table');
    return new TableReader(value as Record<string, unknown>, this.file, `${name}.`);
  }

  string(key: string, fallback: string): string {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'string') throw this.error(key, 'must be a string');
    return value;
  }

  /**
   * A path in the config file: absolute (a relative one would depend on where each command, or
   * the daemon under systemd, happens to run), or '' where '' means none.
   */
  filePath(key: string, fallback: string): string {
    const value = this.string(key, fallback);
    if (value === '' || (value.startsWith('/') && !/[\u0000-\u001f\u007f]/.test(value))) return value;
    throw this.error(key, `${quote(value)} must be an absolute path, without control characters`);
  }

  strings(key: string, fallback: string[]): string[] {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw this.error(key, 'must be a list of strings');
    }
    return value as string[];
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'bigint' || value < BigInt(min) || value > BigInt(max)) {
      throw this.error(key, `must be an integer from ${min} to ${max}`);
    }
    return Number(value);
  }

  duration(key: string, fallbackSeconds: number, minSeconds = 1, maxSeconds = MAX_SECONDS): number {
    if (this.table[key] === undefined) {
      this.seen.add(key);
      return fallbackSeconds;
    }
    const text = this.string(key, '');
    const seconds = readDuration(text);
    if (seconds === undefined) throw this.error(key, DURATION_EXPECTED);
    if (seconds < minSeconds || seconds > maxSeconds) throw this.error(key, `${quote(text)} must be ${durationRange(minSeconds, maxSeconds)}`);
    return seconds;
  }

  /** A duration, or "never" (undefined). */
  durationOrNever(key: string, fallbackSeconds: number | undefined): number | undefined {
    const value = this.table[key];
    if (value === undefined || value === 'never') {
      this.seen.add(key);
      return value === undefined ? fallbackSeconds : undefined;
    }
    return this.duration(key, 0);
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.error(key, 'must be true or false');
    return value;
  }

  /** One of `choices`, or undefined when not set (or ""). */
  oneOf<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const value = this.take(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) throw this.error(key, `must be one of ${choices.join(', ')}`);
    return value as T;
  }

  /** A PostgreSQL connection URI, or undefined when not set. */
  url(key: string): string | undefined {
    const value = this.string(key, '');
    if (value === '') return undefined;
    const problem = fleetUrlProblem(value);
    if (problem !== undefined) throw this.error(key, problem);
    return value;
  }

  /** An absolute path (a relative one would depend on where each command happens to run). */
  absolutePath(key: string, fallback: string): string {
    const value = this.string(key, fallback);
    // A NUL would cut the path short where the kernel reads it, and the socket would be another.
    if (!value.startsWith('/') || /[\u0000-\u001f\u007f]/.test(value) || Buffer.byteLength(value) > 107) {
      throw this.error(key, `${quote(value)} must be an absolute path of at most 107 bytes, without control characters`);
    }
    return value;
  }

  jail(key: string, value: string): string {
    if (!isJailName(value)) throw this.error(key, `entry ${quote(value)} is not a jail name`);
    return value;
  }

  name(key: string, fallback: string, maxLength: number): string {
    return this.checkedName(key, this.string(key, fallback), maxLength);
  }

  /**
   * This host's fleet name: `host`, else its hostname, which only a fleet in use (`used`) needs
   * to be a valid one: a host named 123web without a fleet must not refuse every command.
   */
  hostName(key: string, used: boolean): string {
    if (this.table[key] !== undefined) return this.checkedHostName(key, this.string(key, ''));
    const name = DEFAULTS.fleet.host;
    if (used && !HOST_NAME.test(name)) throw this.error(key, `is not set, and this host's name ${quote(name)} is not a fleet host name (${HOST_NAME_EXPECTED}): set one`);
    return name;
  }

  checkedHostName(key: string, value: string): string {
    if (!HOST_NAME.test(value)) throw this.error(key, `${quote(value)} must be ${HOST_NAME_EXPECTED}`);
    return value;
  }

  checkedName(key: string, value: string, maxLength: number): string {
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(value) || value.length > maxLength) {
      throw this.error(key, `${quote(value)} must be a name of letters, digits, '_', '.' or '-', at most ${maxLength} long`);
    }
    return value;
  }

  safelistEntry(key: string, text: string): Network {
    const network = this.network(key, text);
    const problem = safelistEntryProblem(network);
    if (problem !== undefined) throw this.error(key, `entry ${quote(text)} is refused: it ${problem}`);
    return network;
  }

  network(key: string, text: string): Network {
    const parsed = tryParseNetwork(text);
    if (isParseFailure(parsed)) throw this.error(key, `entry ${quote(text)} is invalid: ${parsed.error}`);
    return parsed;
  }

  rejectUnknown(): void {
    const unknown = Object.keys(this.table).filter((key) => !this.seen.has(key));
    if (unknown.length > 0) throw this.error(unknown[0]!, 'is not a known setting');
  }

  private take(key: string): unknown {
    this.seen.add(key);
    return this.table[key];
  }

  private error(key: string, problem: string): UsageError {
    // Quoted: a key is the file's text, and may hold control characters or run to megabytes.
    return new UsageError(`config file ${shownPath(this.file)}: ${quote(`${this.prefix}${key}`)} ${problem}`);
  }
}
