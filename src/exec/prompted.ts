// A long-lived tool that reads commands line by line and prints a prompt before reading each one
// (`ipset -`): each batch of lines is one write, and the tool's answer to each line is what it
// printed before the prompt that followed it. One process serves a daemon's whole life instead of
// one process per batch: a storm of bans costs no fork at all.
//
// The tool's stdout goes through stdbuf -o0 (coreutils) and its stderr into the same pipe (2>&1,
// by a constant shell line): without them the prompts wait in a stdio buffer and the errors arrive
// out of order. A batch that gets no answer in time, or a tool that exits, ends the session; the
// caller then does the batch the one-shot way and may start another session.

import { spawn, type ChildProcess } from 'node:child_process';
import { OperationalError, ToolMissingError } from '../errors.js';
import { debianPackageOf } from './run.js';

export class PromptedTool {
  private readonly child: ChildProcess;
  private output = '';
  private waiting: { lines: number; resolve: (answers: string[]) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | undefined;
  /** Set once the process has exited or was stopped: no more batches. */
  closed: Error | undefined;
  /** Everything before the first prompt is the tool starting up. */
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    args: readonly string[],
    private readonly prompt: string,
    private readonly answerMs = 5000,
  ) {
    // "$0" is the tool, "$@" its arguments: nothing of them is read by the shell.
    this.child = spawn('stdbuf', ['-o0', 'sh', '-c', 'exec "$0" "$@" 2>&1', file, ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.read(chunk));
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', (error: NodeJS.ErrnoException) => this.close(error.code === 'ENOENT' ? new ToolMissingError('stdbuf', 'coreutils') : error));
    this.child.on('exit', (code) => this.close(new OperationalError(`${file} session ended (exit code ${code ?? 'none'})${code === 127 ? `: is ${debianPackageOf(file)} installed?` : ''}`)));
  }

  /** Sends the lines (each ending in \n) and resolves with what the tool answered to each. */
  send(lines: readonly string[]): Promise<string[]> {
    const batch = this.queue.then(() => this.sendNow(lines));
    this.queue = batch.catch(() => undefined);
    return batch;
  }

  stop(): void {
    this.close(new OperationalError(`${this.file} session stopped`));
    this.child.kill('SIGTERM');
  }

  private sendNow(lines: readonly string[]): Promise<string[]> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        this.close(new OperationalError(`${this.file} session gave no answer in ${this.answerMs} ms`));
      }, this.answerMs);
      this.waiting = { lines: lines.length, resolve, reject, timer };
      this.child.stdin!.write(lines.join(''));
      this.read('');
    });
  }

  private read(chunk: string): void {
    this.output += chunk;
    if (!this.started) {
      const first = this.output.indexOf(this.prompt);
      if (first < 0) return;
      this.started = true;
      this.output = this.output.slice(first + this.prompt.length);
    }
    const waiting = this.waiting;
    if (!waiting) return;
    const answers = this.output.split(this.prompt);
    // The last piece is what follows the latest prompt: not an answer yet.
    if (answers.length - 1 < waiting.lines) return;
    this.output = answers.slice(waiting.lines).join(this.prompt);
    clearTimeout(waiting.timer);
    this.waiting = undefined;
    waiting.resolve(answers.slice(0, waiting.lines));
  }

  private close(reason: Error): void {
    if (this.closed) return;
    this.closed = reason;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(reason);
    }
  }
}
