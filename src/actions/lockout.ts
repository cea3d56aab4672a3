// Banning yourself out of your own server is the classic way to lose a box. A ban that meets
// loopback, an address of this host or the SSH client of this session is refused unless the admin
// says --force. Safelisted ranges (the store's and the config file's) need no refusal: a ban inside
// one is recorded and never blocked, so the history is kept and fail2ban's hook does not fail.

import { formatNetwork } from '../address/format.js';
import { overlaps, type Network } from '../address/network.js';
import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { BUILTIN_SAFELIST } from '../config/config.js';
import { thisHostInterfaces } from './this-host.js';

export interface Protected {
  readonly network: Network;
  readonly why: string;
}

type HostAddress = { readonly network: Network; readonly interface: string; readonly internal: boolean };

/** The addresses of this host's interfaces that are up, with the interface's name. */
export function hostAddresses(): readonly HostAddress[] {
  // Parsed once per read of the interfaces (at most one a second): the daemon asks with every ban.
  const interfaces = thisHostInterfaces();
  if (interfaces !== parsedFrom) {
    parsed = Object.entries(interfaces).flatMap(([name, addresses]) =>
      (addresses ?? []).flatMap((entry) => {
        const network = tryParseNetwork(entry.address.split('%')[0]!);
        return isParseFailure(network) ? [] : [{ network, interface: name, internal: entry.internal }];
      }),
    );
    parsedFrom = interfaces;
  }
  return parsed;
}

let parsedFrom: ReturnType<typeof thisHostInterfaces> | undefined;
let parsed: readonly HostAddress[] = [];

export function protectedNetworks(env: NodeJS.ProcessEnv = process.env): Protected[] {
  const result: Protected[] = BUILTIN_SAFELIST.map((network) => ({ network, why: 'loopback' }));
  for (const host of hostAddresses()) result.push({ network: host.network, why: `an address of this host (${host.interface})` });
  // SSH_CONNECTION is "client-ip client-port server-ip server-port"; SSH_CLIENT starts the same way.
  for (const variable of [env.SSH_CONNECTION, env.SSH_CLIENT]) {
    // sshd gives a link-local client with its zone (fe80::1%eth0): the address is what a ban names.
    const client = variable?.split(' ')[0]?.split('%')[0];
    const parsed = client ? tryParseNetwork(client) : undefined;
    if (parsed && !isParseFailure(parsed)) result.push({ network: parsed, why: 'the SSH client of this session' });
  }
  return result;
}

/** The first protected network the ban would touch, if any. */
export function lockoutConflict(network: Network, protectedList: readonly Protected[]): Protected | undefined {
  return protectedList.find(
    (entry) => entry.network.family === network.family && overlaps<number | bigint>(entry.network, network),
  );
}

export function describeConflict(network: Network, conflict: Protected): string {
  const what = formatNetwork(conflict.network);
  const subject = formatNetwork(network) === what ? formatNetwork(network) : `${formatNetwork(network)} (meets ${what})`;
  return `refusing to ban ${subject}: it is ${conflict.why}; pass --force to ban it anyway`;
}

/**
 * The guard as one check, this host's addresses read once, at the first line it judges: for a batch
 * (the spool's lines). Every command that writes folds the spool, the hook's fallback included, and
 * there is most often none: nothing is read for it then.
 */
export function lockoutCheck(env: NodeJS.ProcessEnv = {}): (network: Network) => string | undefined {
  let guarded: Protected[] | undefined;
  return (network) => {
    const conflict = lockoutConflict(network, (guarded ??= protectedNetworks(env)));
    return conflict ? describeConflict(network, conflict) : undefined;
  };
}

/** A peer's address (a socket's remoteAddress) as the guard protects it; none when it has none (a Unix socket). */
export function protectedPeer(address: string | undefined, why: string): Protected[] {
  if (address === undefined) return [];
  const network = tryParseNetwork(address);
  return isParseFailure(network) ? [] : [{ network, why }];
}
