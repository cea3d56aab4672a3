// The one way stickyban starts another program: an argument array, never a shell string, with bulk
// data on stdin. It is built on node:child_process rather than execa because it sits on the ban
// hook's path, where execa's load time (~75 ms measured, more than Node's own start) would double
// the cost of every ban.

import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { ToolError, ToolMissingError } from '../errors.js';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface RunOptions {
  /** Written to the tool's stdin; an iterable is streamed chunk by chunk with backpressure. */
  readonly input?: string | Iterable<string>;
  /** Resolve with the exit code instead of throwing ToolError on a non-zero exit. */
  readonly allowFailure?: boolean;
  /** Prefix for the error message, e.g. "loading set stickyban4". */
  readonly context?: string;
  /**
   * Killed (SIGKILL) past this, and a ToolError says so: for a tool that waits on a server that
   * may never answer (fail2ban-client on a wedged fail2ban-server waited for good).
   */
  readonly timeoutMs?: number;
}

/** Resolves on the event loop's next turn: long work that yields there lets I/O (a tool's output, a socket) be served meanwhile. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A tool call whose result is awaited later, after synchronous work (reading the store). Its
 * failure surfaces at that await; until then it must not count as an unhandled rejection, which
 * ends the process.
 */
export function awaitLater<T>(call: Promise<T>): Promise<T> {
  call.catch(() => undefined);
  return call;
}

export type Runner = (file: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>;

const DEBIAN_PACKAGE: Record<string, string> = {
  ipset: 'ipset',
  iptables: 'iptables',
  ip6tables: 'iptables',
  'iptables-save': 'iptables',
  'ip6tables-save': 'iptables',
  'iptables-restore': 'iptables',
  'ip6tables-restore': 'iptables',
  nft: 'nftables',
  ip: 'iproute2',
  'fail2ban-client': 'fail2ban',
};

export function debianPackageOf(tool: string): string {
  return DEBIAN_PACKAGE[tool] ?? tool;
}

export const run: Runner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new ToolMissingError(file, debianPackageOf(file)) : error);
    });
    let inputFailure: { error: unknown } | undefined;
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (inputFailure) return reject(inputFailure.error);
      if (timedOut) return reject(new ToolError([file, ...args], code, `no answer within ${options.timeoutMs! / 1000} s: stopped`, options.context));
      const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), exitCode: code ?? -1 };
      if (code === 0 || options.allowFailure) resolve(result);
      else reject(new ToolError([file, ...args], code, result.stderr, options.context));
    });
    if (child.stdin) {
      // A tool that exits early closes its stdin; its exit code and stderr tell why, not EPIPE.
      child.stdin.on('error', () => {});
      writeInput(child.stdin, options.input!).catch((error: unknown) => {
        // The input broke off (the store failed mid-stream): the tool must not act on the part it got,
        // so it is stopped before it reads an end of input, and the caller gets the cause.
        inputFailure = { error };
        child.kill('SIGKILL');
      });
    }
  });

/**
 * How far the input may run ahead of the tool. Node's default (16 KiB) makes every chunk wait for
 * the tool to read the one before, so producing and loading take turns. Far more is worse: queued
 * strings are copied into native buffers and promoted by the GC (8 MiB ahead took a 1M-entry
 * restore from 3.2 to 5.6 s and 105 to 340 MiB); 256 KiB holds a 10k-entry load whole.
 */
const INPUT_AHEAD_BYTES = 256 << 10;

async function writeInput(stdin: Writable, input: string | Iterable<string>): Promise<void> {
  if (typeof input === 'string') {
    stdin.end(input);
    return;
  }
  let closed = false;
  stdin.once('close', () => (closed = true));
  for (const chunk of input) {
    if (closed) return;
    stdin.write(chunk);
    if (stdin.writableLength > INPUT_AHEAD_BYTES) {
      // Wait for the tool to catch up (or to exit, which closes its stdin).
      await new Promise<void>((resolve) => {
        const done = () => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      });
    }
  }
  if (!closed) stdin.end();
}
