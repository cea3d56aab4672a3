// Hosts of a fleet for the tests: each a network namespace with its own store, config file, daemon
// socket and PostgreSQL login role (made by `stickyban fleet add-host`), all on one throwaway cluster.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from './cli.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { Netns } from './netns.js';
import type { Cluster } from './postgres.js';
import { tempDir } from './tmp.js';
import { until } from './until.js';
import { initStore } from './store.js';
import { seedBans } from './seed.js';

export interface FleetHost {
  readonly name: string;
  readonly netns: Netns;
  readonly db: string;
  readonly config: string;
  readonly env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<CliResult>;
  /** Starts its daemon and waits until it is connected to the fleet. */
  startDaemon(): Promise<RunningDaemon>;
}

/** The cluster's admin URI, and `stickyban fleet init` run with it. */
export async function initFleet(cluster: Cluster): Promise<string> {
  const admin = cluster.uri(cluster.admin.user, cluster.admin.password);
  const init = await runCli(['fleet', 'init', '--url', admin]);
  assert.equal(init.code, 0, init.stderr);
  return admin;
}

/** `extraToml` goes into its [fleet] section, `topToml` before every section (a backend). */
export async function fleetHost(cluster: Cluster, admin: string, name: string, extraToml = '', topToml = ''): Promise<FleetHost> {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const passwordFile = join(dir, 'fleet.password');
  const added = await runCli(['fleet', 'add-host', name, '--url', admin, '--password-file', passwordFile]);
  assert.equal(added.code, 0, added.stderr);
  const socket = join(dir, 'run', 'stickyban.sock');
  const config = join(dir, 'config.toml');
  const role = `stickyban_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  writeFileSync(
    config,
    `${topToml}db = "${db}"\n[daemon]\nsocket = "${socket}"\n[fleet]\nurl = "${cluster.uri(role)}"\npassword_file = "${passwordFile}"\nhost = "${name}"\n${/^poll_interval\b/m.test(extraToml) ? '' : 'poll_interval = "1s"\n'}${extraToml}`,
  );
  const env = { STICKYBAN_SOCKET: socket };
  const cli = (...args: string[]) => netns.cli(['--config', config, ...args], { env });
  assert.equal((await cli('restore')).code, 0);
  return {
    name,
    netns,
    db,
    config,
    env,
    cli,
    startDaemon: async () => {
      const daemon = startDaemon(netns, ['--config', config, 'daemon', '--heal-interval', '1h'], env);
      await until(`${name}'s daemon to join the fleet`, () => /daemon: fleet: connected to/.test(daemon.log()), 20_000);
      return daemon;
    },
  };
}

/** A host that has published `count` bans of 10.`second`.x.y: a log for another host to catch up on. */
export async function publishedHost(cluster: Cluster, admin: string, name: string, count: number, second: number): Promise<FleetHost> {
  const host = await fleetHost(cluster, admin, name);
  seedBans(host.db, Array.from({ length: count }, (_, i) => `10.${second}.${i >> 8}.${i & 255}`));
  const synced = await host.cli('fleet', 'sync');
  assert.equal(synced.code, 0, synced.stderr);
  return host;
}

/**
 * Appends host-g's ban of `address`, the admin's lift of it, then fail2ban restarting on host-g and
 * replaying that ban: the replay must stay lifted on every host that applies them.
 */
export async function appendLiftedReplay(cluster: Cluster, address: string): Promise<void> {
  await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, restored) VALUES
    (gen_random_uuid(), 'host-g', 'ban', '${address}', 'sshd', now() - interval '10 minutes', false),
    (gen_random_uuid(), 'admin', 'lift', '${address}', NULL, now() - interval '5 minutes', false),
    (gen_random_uuid(), 'host-g', 'ban', '${address}', 'sshd', now() - interval '10 minutes', true)`);
}
