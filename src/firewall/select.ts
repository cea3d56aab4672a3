import type { Config } from '../config/config.js';
import type { Runner } from '../exec/run.js';
import type { FirewallBackend } from './backend.js';

/** Loads only the backend in use: the hook imports one small module, not all of them. */
export async function loadBackend(config: Config, runner: Runner): Promise<FirewallBackend> {
  switch (config.backend) {
    case 'ipset': {
      const { IpsetBackend } = await import('./ipset.js');
      return new IpsetBackend(config.ipset, runner);
    }
    default:
      throw new Error(`backend ${config.backend} is not available yet`);
  }
}
