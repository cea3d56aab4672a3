import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';
import { cliCommand } from './cli.js';
import { tempDir } from './tmp.js';
import type { Netns } from './netns.js';

export interface RunningDaemon {
  /** Its socket (in a temp dir of the test's unless STICKYBAN_SOCKET was given). */
  readonly socket: string;
  /** The environment that reaches it: give it to a CLI run that should talk to it. */
  readonly env: NodeJS.ProcessEnv;
  /** The process that runs it (`ip netns exec` hands over to node, so it is the daemon itself). */
  readonly pid: number;
  /** Everything it logged so far. */
  log(): string;
  signal(name: NodeJS.Signals): void;
  /** Its exit code, once it exits. */
  readonly exited: Promise<number | null>;
}

/** Starts `stickyban daemon` in the namespace; stop it with signal('SIGTERM'). */
export function startDaemon(netns: Netns, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): RunningDaemon {
  const [file, argv] = cliCommand(args, netns.name);
  // Never the host's socket: each daemon of the suite listens in a folder of its own test.
  const env = { STICKYBAN_SOCKET: join(tempDir(), 'run', 'stickyban.sock'), ...extraEnv };
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  // A test that fails before it stops its daemon must not leave it running (nor its test file).
  after(() => void child.kill('SIGKILL'));
  return {
    socket: env.STICKYBAN_SOCKET,
    env,
    pid: child.pid!,
    log: () => log,
    signal: (name) => void child.kill(name),
    exited: new Promise((resolve) => child.once('exit', resolve)),
  };
}

/** Starts the daemon, runs `during` while it runs, then stops it with SIGTERM and checks it exits 0. */
export async function whileDaemonRuns(netns: Netns, args: readonly string[], during: (daemon: RunningDaemon) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  const daemon = startDaemon(netns, args, env);
  try {
    await during(daemon);
  } finally {
    daemon.signal('SIGTERM');
  }
  assert.equal(await daemon.exited, 0);
  return daemon;
}
