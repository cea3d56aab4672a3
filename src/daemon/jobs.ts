// The daemon's heavy work runs as commands of its own (`stickyban restore`, `prune`, `stats`), one
// at a time, each in a process of its own: a restore of a million entries or a prune of a big store
// then never holds the daemon's loop (nor its memory), and it is exactly what an admin or a timer
// would run, tested as such. What a job prints is logged as the job's.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../config/config.js';

export interface JobResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The daemon stopped it (or never started it, stopping): not a failure of the job's own. */
  readonly stopped?: boolean;
}

/** What is kept of a job's output, per stream: its summary lines, never a whole listing. */
const MAX_OUTPUT_BYTES = 1 << 20;

/** How long a job gets to end on its own when the daemon stops, before it is killed. */
const STOP_GRACE_MS = 2000;

export class Jobs {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<ChildProcess>();
  private stopped = false;

  constructor(
    /** The command that runs the CLI: node, its flags and the CLI's entry point. */
    private readonly command: readonly string[],
    private readonly config: () => Config,
  ) {}

  /** Runs `stickyban <args>` once the jobs queued before it are done. */
  run(args: readonly string[]): Promise<JobResult> {
    const job = this.queue.then(() => this.spawn(args));
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** Asks the running jobs to stop (a killed restore or prune leaves the kernel as it was) and waits a moment. */
  async stop(): Promise<void> {
    this.stopped = true;
    const exits = [...this.running].map((child) => new Promise<void>((resolve) => child.once('close', () => resolve())));
    for (const child of this.running) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const child of this.running) child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  private spawn(args: readonly string[]): Promise<JobResult> {
    if (this.stopped) return Promise.resolve({ code: null, stdout: '', stderr: 'the daemon is stopping', stopped: true });
    const config = this.config();
    // The daemon's own store and config file, whatever the environment of the job would say.
    const where = ['--db', config.db, ...(config.file === undefined ? [] : ['--config', config.file])];
    const [file, ...base] = this.command;
    return new Promise((resolve) => {
      const child = spawn(file!, [...base, ...where, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.running.add(child);
      const stdout = new Tail();
      const stderr = new Tail();
      child.stdout!.on('data', (chunk: Buffer) => stdout.add(chunk));
      child.stderr!.on('data', (chunk: Buffer) => stderr.add(chunk));
      child.on('error', (error) => stderr.add(Buffer.from(error.message)));
      child.on('close', (code) => {
        this.running.delete(child);
        resolve({ code, stdout: stdout.text(), stderr: stderr.text(), ...(this.stopped ? { stopped: true } : {}) });
      });
    });
  }
}

/** The last MAX_OUTPUT_BYTES of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - this.chunks[0]!.length >= MAX_OUTPUT_BYTES) this.bytes -= this.chunks.shift()!.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/** The job's words, one line: its last line of stderr on failure. */
export function jobFailure(result: JobResult): string {
  const last = result.stderr.trim().split('\n').at(-1)?.replace(/^stickyban: /, '');
  return last || `exit code ${result.code ?? 'none (killed)'}`;
}
