// A long-lived tool that reads commands line by line from stdin (`ipset -`, `nft -i`,
// `ip -batch -`): each batch of lines is one write, and the tool's answer to it is what it printed
// before a marker. One process serves a daemon's whole life instead of one process per batch: a
// storm of bans costs no fork at all.
//
// Tools tell the end of their answer in two ways (Framing): ipset prints a prompt before it reads
// each line, so a batch of n lines is answered by n prompts; nft and ip print nothing of their own
// when a line succeeds, so a sentinel line goes after the batch, one whose output is known, and the
// answer is everything before that output.
//
// The tool's stdout goes through stdbuf -o0 (coreutils) and its stderr into the same pipe (2>&1,
// by a constant shell line): without them the markers wait in a stdio buffer and the errors arrive
// out of order. A batch that gets no answer in time, or a tool that exits, ends the session; the
// caller then does the batch the one-shot way and may start another session.
//
// A tool may keep what it read of the kernel between lines: `nft -i` keeps its cache of the
// ruleset, every element of an interval set after a delete (~170 MB for 300k blocks). A session
// given a limit checks the tool's resident memory after each batch and, above it, lets that process
// go and starts another for the next batch, so nothing that size is held at rest.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OperationalError, ToolMissingError } from '../errors.js';
import { debianPackageOf } from './run.js';

/** Where the tool's answer to a batch ends. */
export interface Frame {
  /** Written after the batch's lines: a sentinel line, or nothing. */
  readonly trailer: string;
  /** Printed by the tool after each answer. */
  readonly marker: string;
  /** How many answers (markers) the batch gets. */
  readonly answers: number;
  /** The marker is the start of a line the tool prints (a sentinel's output): the rest of that line goes with it. */
  readonly wholeLine: boolean;
}

export interface Framing {
  /** Printed by the tool before it reads anything (a first prompt); what comes before it is the tool starting up. */
  readonly ready?: string;
  /** The frame of a batch of `count` lines, the first of which is line `first` (from 1) of the session. */
  frame(first: number, count: number): Frame;
}

/** A tool that prints `prompt` before it reads each line: one answer per line. */
export function promptFraming(prompt: string): Framing {
  return { ready: prompt, frame: (_first, count) => ({ trailer: '', marker: prompt, answers: count, wholeLine: false }) };
}

/** The tool's answers to a batch, and the number of the batch's first line in the tool process's input. */
export interface Reply {
  readonly answers: string[];
  readonly first: number;
}

export interface SessionOptions {
  /** How long a batch may wait for its answer. */
  readonly answerMs?: number;
  /** Resident memory above which the tool process is replaced after a batch (see above). */
  readonly maxResidentBytes?: number;
}

export class ToolSession {
  /** Started on the first batch, and again after one was let go for its memory. */
  private running: RunningTool | undefined;
  /** Set once the process has exited or was stopped: no more batches. */
  closed: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly args: readonly string[],
    private readonly framing: Framing,
    private readonly options: SessionOptions = {},
  ) {}

  /**
   * Sends the lines (each ending in \n, none empty) and resolves with the tool's answers: one per
   * line for a prompting tool, one for the whole batch behind a sentinel.
   */
  send(lines: readonly string[]): Promise<Reply> {
    const batch = this.queue.then(() => this.sendNow(lines));
    this.queue = batch.catch(() => undefined);
    return batch;
  }

  /** The running tool's pid, if one runs. */
  get pid(): number | undefined {
    return this.running?.pid;
  }

  stop(): void {
    this.close(new OperationalError(`${this.file} session stopped`));
  }

  private async sendNow(lines: readonly string[]): Promise<Reply> {
    if (this.closed) throw this.closed;
    const tool = (this.running ??= new RunningTool(this.file, this.args, this.framing, this.options.answerMs ?? 5000, (reason) => this.close(reason)));
    const reply = await tool.send(lines);
    const limit = this.options.maxResidentBytes;
    if (limit !== undefined && tool.residentBytes() > limit) {
      this.running = undefined;
      tool.retire();
    }
    return reply;
  }

  private close(reason: Error): void {
    if (this.closed) return;
    this.closed = reason;
    this.running?.fail(reason);
    this.running?.retire();
    this.running = undefined;
  }
}

/** One process of a session. */
class RunningTool {
  private readonly child: ChildProcess;
  private output = '';
  private waiting: { frame: Frame; first: number; resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | undefined;
  private started: boolean;
  /** Lines written so far, sentinels included (ip numbers its failures so). */
  private linesSent = 0;
  /** Let go of on purpose: its exit ends nothing. */
  private retired = false;

  constructor(
    private readonly file: string,
    args: readonly string[],
    private readonly framing: Framing,
    private readonly answerMs: number,
    private readonly onEnd: (reason: Error) => void,
  ) {
    this.started = framing.ready === undefined;
    // "$0" is the tool, "$@" its arguments: nothing of them is read by the shell.
    this.child = spawn('stdbuf', ['-o0', 'sh', '-c', 'exec "$0" "$@" 2>&1', file, ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.read(chunk));
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', (error: NodeJS.ErrnoException) => this.end(error.code === 'ENOENT' ? new ToolMissingError('stdbuf', 'coreutils') : error));
    this.child.on('exit', (code) => this.end(new OperationalError(`${file} session ended (exit code ${code ?? 'none'})${code === 127 ? `: is ${debianPackageOf(file)} installed?` : ''}`)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(lines: readonly string[]): Promise<Reply> {
    const first = this.linesSent + 1;
    const frame = this.framing.frame(first, lines.length);
    this.linesSent += lines.length + (frame.trailer === '' ? 0 : 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        this.end(new OperationalError(`${this.file} session gave no answer in ${this.answerMs} ms`));
      }, this.answerMs);
      this.waiting = { frame, first, resolve, reject, timer };
      this.child.stdin!.write(lines.join('') + frame.trailer);
      this.read('');
    });
  }

  /** Its resident memory, from /proc; 0 when it cannot be read (the process is gone). */
  residentBytes(): number {
    try {
      const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
      return Number(kib ?? 0) * 1024;
    } catch {
      return 0;
    }
  }

  /** Ends the process; what it does then is no longer the session's concern. */
  retire(): void {
    this.retired = true;
    this.child.kill('SIGTERM');
  }

  /** Fails the batch under way, if any. */
  fail(reason: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(reason);
    }
  }

  private end(reason: Error): void {
    if (this.retired) return;
    this.fail(reason);
    this.onEnd(reason);
  }

  private read(chunk: string): void {
    this.output += chunk;
    if (!this.started) {
      const ready = this.framing.ready!;
      const first = this.output.indexOf(ready);
      if (first < 0) return;
      this.started = true;
      this.output = this.output.slice(first + ready.length);
    }
    const waiting = this.waiting;
    if (!waiting) return;
    const { marker, answers: expected, wholeLine } = waiting.frame;
    const answers: string[] = [];
    let at = 0;
    while (answers.length < expected) {
      const found = this.output.indexOf(marker, at);
      if (found < 0) return;
      let end = found + marker.length;
      if (wholeLine) {
        const newline = this.output.indexOf('\n', end);
        if (newline < 0) return;
        end = newline + 1;
      }
      answers.push(this.output.slice(at, found));
      at = end;
    }
    this.output = this.output.slice(at);
    clearTimeout(waiting.timer);
    this.waiting = undefined;
    waiting.resolve({ answers, first: waiting.first });
  }
}
