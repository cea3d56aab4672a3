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

/** Removes what other backends left in place; returns what it removed, or why it could not. */
export type Retirer = (names: readonly BackendName[]) => Promise<string[]>;

/**
 * Retires backends by name (see FirewallBackend.retire), skipping those whose tool is not installed:
 * nothing of theirs can be there. A failure is reported, not thrown: the blocklist of the backend
 * in use is in place by then.
 */
export function retirer(config: Config, runner: Runner): Retirer {
  return async (names) => {
    const notes: string[] = [];
    for (const name of names) {
      try {
        notes.push(...(await (await backendNamed(name, config, runner)).retire()));
      } catch (error) {
        if (!(error instanceof ToolMissingError)) notes.push(`could not remove what the ${name} backend left: ${(error as Error).message}`);
      }
    }
    return notes;
  };
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
