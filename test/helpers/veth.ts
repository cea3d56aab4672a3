// Two namespaces joined by a veth pair: a "client" that sends from chosen source addresses and a
// "server" that runs stickyban. Packets prove what the firewall really does.

import { randomBytes } from 'node:crypto';
import { runProcess } from './cli.js';
import { Netns } from './netns.js';

export interface Wire {
  readonly server: Netns;
  readonly client: Netns;
  readonly server4: string;
  readonly server6: string;
}

/**
 * Creates a client namespace wired to `server`. The client owns every address in `clientAddresses`
 * (IPv4 in 10.0.0.0/8 or any other range, IPv6 anywhere); the server answers on 172.31.255.1 and
 * fd00:5b::1 and routes everything back over the wire.
 */
export async function wire(server: Netns, clientAddresses: readonly string[]): Promise<Wire> {
  const client = await Netns.create();
  const tag = randomBytes(3).toString('hex');
  const serverIf = `sbs${tag}`;
  const clientIf = `sbc${tag}`;
  await server.exec('ip', ['link', 'add', serverIf, 'type', 'veth', 'peer', 'name', clientIf, 'netns', client.name]);
  const server4 = '172.31.255.1';
  const server6 = 'fd00:5b::1';
  await server.exec('ip', ['addr', 'add', `${server4}/32`, 'dev', serverIf]);
  await server.exec('ip', ['-6', 'addr', 'add', `${server6}/128`, 'dev', serverIf, 'nodad']);
  await server.exec('ip', ['link', 'set', serverIf, 'up']);
  await client.exec('ip', ['link', 'set', clientIf, 'up']);
  for (const address of clientAddresses) {
    const v6 = address.includes(':');
    await client.exec('ip', [...(v6 ? ['-6'] : []), 'addr', 'add', `${address}/${v6 ? 128 : 32}`, 'dev', clientIf, ...(v6 ? ['nodad'] : [])]);
  }
  await client.exec('ip', ['route', 'add', `${server4}/32`, 'dev', clientIf]);
  await client.exec('ip', ['-6', 'route', 'add', `${server6}/128`, 'dev', clientIf]);
  await server.exec('ip', ['route', 'add', '0.0.0.0/0', 'dev', serverIf]);
  await server.exec('ip', ['-6', 'route', 'add', '::/0', 'dev', serverIf]);
  return { server, client, server4, server6 };
}

/**
 * True when a ping from `source` (a client address) to the server gets an answer. Three echoes,
 * any reply counts: a busy machine may lose the first one to neighbour discovery.
 */
export async function pings(link: Wire, source: string): Promise<boolean> {
  const target = source.includes(':') ? link.server6 : link.server4;
  const result = await runProcess('ip', ['netns', 'exec', link.client.name, 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', '-I', source, target]);
  return result.code === 0;
}

/**
 * True when a TCP connection from `source` to `port` on the server is accepted. Something must
 * listen there: see listen().
 */
export async function connects(link: Wire, source: string, port: number): Promise<boolean> {
  const target = source.includes(':') ? link.server6 : link.server4;
  const result = await runProcess('ip', ['netns', 'exec', link.client.name, 'nc', '-z', '-w', '2', '-s', source, target, String(port)]);
  return result.code === 0;
}

/** Starts a TCP listener on the server (nc -k -l); stopped when the namespace goes. */
export async function listen(link: Wire, port: number): Promise<void> {
  const { spawn } = await import('node:child_process');
  for (const family of ['-4', '-6']) {
    const child = spawn('ip', ['netns', 'exec', link.server.name, 'nc', family, '-k', '-l', String(port)], { stdio: 'ignore', detached: false });
    child.unref();
    const { after } = await import('node:test');
    after(() => child.kill());
  }
  // Wait until the listener answers on loopback rather than sleeping a fixed time.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const probe = await runProcess('ip', ['netns', 'exec', link.server.name, 'nc', '-z', '-w', '1', '127.0.0.1', String(port)]);
    if (probe.code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on port ${port} in ${link.server.name}`);
}
