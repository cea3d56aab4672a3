import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliCommand } from './cli.js';
import type { Netns } from './netns.js';

export interface RunningDaemon {
  /** Everything it logged so far. */
  log(): string;
  signal(name: NodeJS.Signals): void;
  /** Its exit code, once it exits. */
  readonly exited: Promise<number | null>;
}

/** Starts `stickyban daemon` in the namespace; stop it with signal('SIGTERM'). */
export function startDaemon(netns: Netns, args: readonly string[]): RunningDaemon {
  const [file, argv] = cliCommand(args, netns.name);
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return {
    log: () => log,
    signal: (name) => void child.kill(name),
    exited: new Promise((resolve) => child.once('exit', resolve)),
  };
}

/** Starts the daemon, runs `during` while it runs, then stops it with SIGTERM and checks it exits 0. */
export async function whileDaemonRuns(netns: Netns, args: readonly string[], during: (daemon: RunningDaemon) => Promise<void>): Promise<RunningDaemon> {
  const daemon = startDaemon(netns, args);
  try {
    await during(daemon);
  } finally {
    daemon.signal('SIGTERM');
  }
  assert.equal(await daemon.exited, 0);
  return daemon;
}
