import { BACKENDS, type Config } from '../config/config.js';
import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import type { Runner } from '../exec/run.js';
import type { FirewallBackend } from './backend.js';

/** Loads only the backend in use: the hook imports one small module, not all of them. */
export async function loadBackend(config: Config, runner: Runner): Promise<FirewallBackend> {
  switch (config.backend) {
    case 'ipset': {
      const { IpsetBackend } = await import('./ipset.js');
      return new IpsetBackend(config.ipset, runner);
    }
    case 'nftables': {
      const { NftablesBackend } = await import('./nftables.js');
      return new NftablesBackend(config.nftables, runner);
    }
    case 'route': {
      const { RouteBackend } = await import('./route.js');
      return new RouteBackend(config.route, runner);
    }
    default:
      // The config loader admits only known names; this guards a name added there but not here.
      throw new UsageError(`backend ${quote(String(config.backend))} is not supported; expected one of ${BACKENDS.join(', ')}`);
  }
}
