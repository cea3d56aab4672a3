// A private fail2ban-server from the Debian package for end-to-end tests: the stock configuration
// copied to a temp dir, its socket, pid file, database and log there too, run inside the test's
// network namespace. Nothing is shared with a system-wide fail2ban.

import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { runProcess, type CliResult } from './cli.js';
import { requireTools, type Netns } from './netns.js';
import { until } from './until.js';

export interface Fail2banOptions {
  /** The jails of jail.local, after a [DEFAULT] section with the settings every test shares. */
  readonly jails: string;
  /** The environment fail2ban-server starts with (its actions inherit it). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Fail2ban {
  readonly confdir: string;
  /** fail2ban-client with this server's configuration. */
  client(...args: string[]): Promise<CliResult>;
  /** fail2ban's own log so far. */
  log(): string;
  /** Waits for `probe`; a timeout says what fail2ban logged, not only that it timed out. */
  waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
}

/** fail2ban works on its own time (polling, an action at a time): generous on a loaded machine. */
export const FAIL2BAN_WAIT_MS = 60_000;

/** Starts the server; it is stopped when the test ends, before the namespace and temp dir go. */
export async function startFail2ban(netns: Netns, dir: string, options: Fail2banOptions): Promise<Fail2ban> {
  await requireTools('fail2ban-server', 'fail2ban-client');
  const confdir = join(dir, 'fail2ban');
  cpSync('/etc/fail2ban', confdir, { recursive: true });
  for (const action of ['stickyban.conf', 'stickyban.py']) cpSync(resolve('contrib/fail2ban/action.d', action), join(confdir, 'action.d', action));
  writeFileSync(
    join(confdir, 'fail2ban.local'),
    `[Definition]\nloglevel = INFO\nlogtarget = ${dir}/fail2ban.log\nsocket = ${dir}/fail2ban.sock\npidfile = ${dir}/fail2ban.pid\ndbfile = ${dir}/fail2ban.sqlite3\n`,
  );
  writeFileSync(join(confdir, 'jail.d', 'defaults-debian.conf'), '');
  writeFileSync(
    join(confdir, 'jail.local'),
    ['[DEFAULT]', 'usedns = no', 'backend = polling', 'ignoreip = 127.0.0.1/8 ::1', 'banaction = iptables-multiport', 'banaction_allports = iptables-allports', '', options.jails].join('\n'),
  );
  // The server's pid, read again after every command: a restart starts another process.
  const pidFile = join(dir, 'fail2ban.pid');
  let pid: number | undefined;
  const client = async (...args: string[]) => {
    const result = await runProcess('ip', ['netns', 'exec', netns.name, 'fail2ban-client', '-c', confdir, ...args], { env: options.env ?? {} });
    if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8'));
    return result;
  };
  const log = () => (existsSync(join(dir, 'fail2ban.log')) ? readFileSync(join(dir, 'fail2ban.log'), 'utf8') : '');
  const started = await client('-x', 'start');
  if (started.code !== 0) throw new Error(`fail2ban-client start failed: ${started.stderr}${started.stdout}`);
  // Stopped by what names its socket in this test's temp dir, not only by the last pid seen: a
  // restart's new server may not have written its pid file yet when the test ends (servers of
  // finished runs stayed behind). After-hooks run in the order they were registered, so the
  // namespace and the temp dir may be gone by then.
  after(() => stopServersOf(dir, pid));
  return {
    confdir,
    client,
    log,
    waitFor: (what, probe, timeoutMs = FAIL2BAN_WAIT_MS) =>
      until(what, probe, timeoutMs).then(
        () => undefined,
        (error: Error) => {
          const notable = log()
            .split('\n')
            .filter((entry) => / (ERROR|WARNING|NOTICE) |Found /.test(entry))
            .slice(-40);
          throw new Error([error.message, 'fail2ban.log:', ...notable].join('\n'));
        },
      ),
  };
}

/** SIGTERM to every fail2ban-server started with a socket in `dir` (and to `pid`), SIGKILL to what is left after 5 s. */
async function stopServersOf(dir: string, pid: number | undefined): Promise<void> {
  const socket = `${dir}/fail2ban.sock`;
  const running = (): number[] =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
          return argv.some((arg) => arg.endsWith('fail2ban-server')) && argv.includes(socket);
        } catch {
          return false; // gone meanwhile
        }
      })
      .map(Number);
  const signal = (pids: number[], name: NodeJS.Signals) => {
    for (const one of pids) {
      try {
        process.kill(one, name);
      } catch {
        // stopped already
      }
    }
  };
  signal([...running(), ...(pid === undefined ? [] : [pid])], 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (running().length > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
  signal(running(), 'SIGKILL');
}

/** True while a stickyban process runs inside the namespace (fail2ban's actions are asynchronous to us). */
export async function stickybanRunning(netns: Netns): Promise<boolean> {
  const pids = (await runProcess('ip', ['netns', 'pids', netns.name])).stdout.split('\n').filter(Boolean);
  return pids.some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('stickyban.cjs');
    } catch {
      return false;
    }
  });
}
