import { dirname } from 'node:path';
import { BACKENDS, isBackendName, type BackendName, type Config } from '../config/config.js';
import { ToolMissingError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import type { Runner } from '../exec/run.js';
import type { FirewallBackend } from './backend.js';

/**
 * Loads only the backend in use: the hook imports one small module, not all of them. That is the
 * one the last restore loaded (`lastRestored`, when the caller knows it), else the configured one.
 */
export async function loadBackend(config: Config, runner: Runner, lastRestored?: string): Promise<FirewallBackend> {
  return backendNamed(isBackendName(lastRestored) ? lastRestored : config.backend, config, runner);
}

/**
 * What a backend loads besides its name, as a restore records it: its own settings (the ipset and
 * chain names, the nftables table, the route metric), as JSON.
 */
export function targetOf(config: Config, name: BackendName): string {
  return JSON.stringify(config[name]);
}

/** What an earlier restore loaded: a backend, and its settings then (null when not recorded). */
export interface Loaded {
  readonly backend: BackendName;
  readonly target: string | null;
  /**
   * Named by a cut-short restore's note alone, never recorded as loaded: what is there may be the
   * admin's (a table of theirs named where ours goes, which the restore would have refused), and
   * is ours to remove only when it is as stickyban makes it (RetireOptions.onlyOurs).
   */
  readonly unrecorded?: boolean;
}

/** What a Retirer did: what it says it removed (or could not), and the targets it is done with. */
export interface Retired {
  readonly notes: string[];
  /** Removed, or nothing of theirs was there (their tool is not installed); not those that failed. */
  readonly done: Loaded[];
}

/** Removes what earlier restores loaded and the one in force does not use; says what it removed, or why it could not. */
export type Retirer = (loaded: readonly Loaded[], current: BackendName) => Promise<Retired>;

/**
 * Retires what restores loaded before (see FirewallBackend.retire): another backend whole, the
 * backend in force (`current`) under other names. Backends whose tool is not installed are
 * skipped: nothing of theirs can be there. A failure is reported, not thrown: the blocklist in
 * force is in place by then.
 */
export function retirer(config: Config, runner: Runner): Retirer {
  return async (loaded, current) => {
    const notes: string[] = [];
    const done: Loaded[] = [];
    for (const entry of loaded) {
      const { backend: name, target } = entry;
      try {
        notes.push(...(await (await backendNamed(name, configOf(config, name, target), runner)).retire(name === current ? config : undefined, { onlyOurs: entry.unrecorded === true })));
        done.push(entry);
      } catch (error) {
        if (error instanceof ToolMissingError) done.push(entry);
        else notes.push(`could not remove what the ${name} backend left: ${(error as Error).message}`);
      }
    }
    return { notes, done };
  };
}

/** What retire() would remove of each of `loaded`, in words; changes nothing (doctor). */
export async function leftoversOf(config: Config, runner: Runner, loaded: readonly Loaded[], current: BackendName): Promise<Array<Loaded & { readonly left: string[] }>> {
  const found: Array<Loaded & { left: string[] }> = [];
  for (const entry of loaded) {
    try {
      const left = await (await backendNamed(entry.backend, configOf(config, entry.backend, entry.target), runner)).leftovers(entry.backend === current ? config : undefined, { onlyOurs: entry.unrecorded === true });
      if (left.length > 0) found.push({ ...entry, left });
    } catch (error) {
      if (!(error instanceof ToolMissingError)) throw error;
    }
  }
  return found;
}

/**
 * `config` with a backend's settings as a restore recorded them. A record that is not what
 * targetOf writes (edited by hand) leaves the settings of the config: they are what retire() and
 * leftovers() then look for, as for a restore recorded before targets were.
 */
function configOf(config: Config, name: BackendName, target: string | null): Config {
  if (target === null) return config;
  let recorded: unknown;
  try {
    recorded = JSON.parse(target);
  } catch {
    return config;
  }
  const fields = recorded as Record<string, unknown>;
  const current = config[name] as Record<string, unknown>;
  // Every field of the config's own, of the same type: names reach tools as arguments only.
  const sameType = (value: unknown, like: unknown): boolean =>
    Array.isArray(like) ? Array.isArray(value) && value.every((item) => typeof item === 'string') : typeof value === typeof like && !Array.isArray(value);
  const same = typeof recorded === 'object' && recorded !== null && Object.keys(current).every((key) => sameType(fields[key], current[key]));
  if (!same) return config;
  const settings = Object.fromEntries(Object.keys(current).map((key) => [key, fields[key]]));
  return { ...config, [name]: settings };
}

async function backendNamed(name: BackendName, config: Config, runner: Runner): Promise<FirewallBackend> {
  switch (name) {
    case 'ipset': {
      const { IpsetBackend } = await import('./ipset/backend.js');
      return new IpsetBackend(config.ipset, runner);
    }
    case 'nftables': {
      const { NftablesBackend } = await import('./nftables/backend.js');
      // The batch file of a full load goes beside the store, a directory only root can change.
      return new NftablesBackend(config.nftables, runner, dirname(config.db));
    }
    case 'route': {
      const { RouteBackend } = await import('./route/backend.js');
      return new RouteBackend(config.route, runner);
    }
    default:
      // The config loader admits only known names; this guards a name added there but not here.
      throw new UsageError(`backend ${quote(String(name))} is not supported; expected one of ${BACKENDS.join(', ')}`);
  }
}
