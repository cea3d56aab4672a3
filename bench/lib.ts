// Shared by the benchmarks: a throwaway network namespace, process timing, and a side-by-side table.

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Every command is started as fail2ban and systemd start it on a server: without NODE_EXTRA_CA_CERTS,
 * which a developer shell may set and which costs every Node start ~45 ms of CA parsing here.
 * stickyban's shebang drops it anyway; the baselines (`node -e 0`) must start the same way.
 */
export const ENVIRONMENT_NOTE = process.env.NODE_EXTRA_CA_CERTS === undefined ? '' : ' (NODE_EXTRA_CA_CERTS unset for every command, as on a server)';
delete process.env.NODE_EXTRA_CA_CERTS;

/** The CLI run as installed, by its shebang (which gives node its flags), not as `node FILE`. */
export const CLI = process.env.STICKYBAN_CLI ?? fileURLToPath(new URL('../dist/stickyban.cjs', import.meta.url));

export function must(file: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ').slice(0, 200)} failed: ${String(result.stderr).slice(0, 500)}`);
  return String(result.stdout);
}

export class BenchNetns {
  readonly name = `sbb-${randomBytes(4).toString('hex')}`;

  constructor() {
    must('ip', ['netns', 'add', this.name]);
    must('ip', ['netns', 'exec', this.name, 'ip', 'link', 'set', 'lo', 'up']);
    process.on('exit', () => spawnSync('ip', ['netns', 'delete', this.name]));
  }

  argv(file: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, file, ...args]];
  }

  run(file: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
    return must('ip', ['netns', 'exec', this.name, file, ...args], options);
  }
}

/** Wall time of one process run, in milliseconds; its stdout goes to `onOutput` if given. */
export function timeRun(file: string, args: readonly string[], options: SpawnSyncOptions = {}, onOutput?: (stdout: string) => void): number {
  const start = process.hrtime.bigint();
  const stdout = must(file, args, options);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  onOutput?.(stdout);
  return ms;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints rows as an aligned table. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const text = rows.map((row) => row.map((cell) => (typeof cell !== 'number' ? cell : Number.isInteger(cell) ? String(cell) : cell.toFixed(cell < 10 ? 2 : 1))));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  console.log(line(headers));
  for (const row of text) console.log(line(row));
}

/** Peak resident memory of a finished child, from GNU time's %M (KiB). */
export function peakRssKiB(stderr: string): number | undefined {
  const match = /PEAKRSS=(\d+)/.exec(stderr);
  return match ? Number(match[1]) : undefined;
}

/**
 * One connection to a daemon's socket kept for many requests, one answer awaited at a time: what
 * fail2ban's stickyban.py keeps per jail (a connection per ban would time the connecting too).
 */
export class DaemonSession {
  private readonly socket: Socket;
  private received = '';
  private waiting: ((line: string) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
      const end = this.received.indexOf('\n');
      if (end < 0 || !this.waiting) return;
      const line = this.received.slice(0, end);
      this.received = this.received.slice(end + 1);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting(line);
    });
  }

  static open(path: string): Promise<DaemonSession> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => resolve(new DaemonSession(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends the request and resolves with the daemon's answer; throws unless it says ok. */
  ask(request: object): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting = (line) => {
        const answer = JSON.parse(line) as Record<string, unknown>;
        if (answer.ok === true) resolve(answer);
        else reject(new Error(`the daemon refused ${JSON.stringify(request)}: ${line}`));
      };
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
