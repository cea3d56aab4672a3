// A throwaway PostgreSQL cluster for the fleet tests, from the Debian package's binaries: initdb and
// pg_ctl as nobody (PostgreSQL refuses to run as root), in a temp dir, listening on a Unix socket
// only. Never a system cluster; stopped when the test file ends.

import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runProcess } from './cli.js';
import { childrenOf, cpuSeconds } from './processes.js';

const NOBODY = 65534;

/** The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb'))) : [];
  assert.ok(majors.length > 0, 'the fleet tests need a PostgreSQL server (Debian package postgresql); run scripts/test.sh, which installs what the tests need');
  return join(root, majors.sort((a, b) => Number(a) - Number(b)).at(-1)!, 'bin');
}

export interface Cluster {
  /** The directory of its Unix socket: a libpq host. */
  readonly socketDir: string;
  /** The superuser and its password. */
  readonly admin: { readonly user: string; readonly password: string };
  /** A libpq URI for `user` on database `stickyban`, through the socket. */
  uri(user: string, password?: string): string;
  /** psql as the superuser; throws with its stderr on failure. */
  sql(query: string): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** CPU seconds the server has used: its processes running and those that ended (bench/fleet's accounting). */
  cpuSeconds(): number;
}

async function asNobody(file: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', file, ...args]);
}

/** Starts a cluster for the test file: stopped and removed when it ends. */
export async function startCluster(): Promise<Cluster> {
  const cluster = await createCluster();
  after(() => cluster.destroy());
  return cluster;
}

/** Starts a cluster with a database `stickyban` owned by its superuser; `destroy` stops and removes it. */
export async function createCluster(): Promise<Cluster & { destroy(): Promise<void> }> {
  const bin = postgresBin();
  const base = mkdtempSync(join(tmpdir(), 'stickyban-pg-'));
  chmodSync(base, 0o755);
  const data = join(base, 'data');
  const socketDir = join(base, 'run');
  for (const dir of [data, socketDir]) {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
  }
  chmodSync(socketDir, 0o755);
  const admin = { user: 'stickyban_admin', password: 'admin-secret' };
  const pwfile = join(base, 'pw');
  writeFileSync(pwfile, `${admin.password}\n`, { mode: 0o600 });
  chownSync(pwfile, NOBODY, NOBODY);
  const init = await asNobody(join(bin, 'initdb'), ['-D', data, '-U', admin.user, '--pwfile', pwfile, '--auth-local', 'scram-sha-256', '--auth-host', 'reject', '-E', 'UTF8', '--locale', 'C.UTF-8', '--no-sync']);
  assert.equal(init.code, 0, `initdb failed: ${init.stderr}`);
  rmSync(pwfile);
  const log = join(base, 'postgres.log');
  writeFileSync(log, '');
  chownSync(log, NOBODY, NOBODY);
  const options = `-c listen_addresses='' -c unix_socket_directories='${socketDir}' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = async () => {
    const started = await asNobody(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
    assert.equal(started.code, 0, `pg_ctl start failed: ${started.stderr}${started.stdout}`);
  };
  const stop = async () => {
    await asNobody(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await start();
  const destroy = async () => {
    await stop();
    rmSync(base, { recursive: true, force: true });
  };
  const env = { PGPASSWORD: admin.password, PGHOST: socketDir, PGUSER: admin.user };
  const sql = async (query: string) => {
    const result = await runProcess('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', 'stickyban', '-c', query], { env });
    if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
    return result.stdout;
  };
  const created = await runProcess('psql', ['-X', '-q', '-d', 'postgres', '-c', 'CREATE DATABASE stickyban'], { env });
  assert.equal(created.code, 0, created.stderr);
  return {
    socketDir,
    admin,
    uri: (user, password) => `postgresql://${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@/stickyban?host=${encodeURIComponent(socketDir)}`,
    sql,
    stop,
    start,
    cpuSeconds: () => {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const { own, children } = cpuSeconds(postmaster);
      return childrenOf(postmaster).reduce((sum, pid) => sum + cpuSeconds(pid).own, own + children);
    },
    destroy,
  };
}
