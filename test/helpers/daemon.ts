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
