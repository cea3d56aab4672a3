// A thin wrapper around iproute2's `ip` for blackhole routes: one method per verb, batches on stdin,
// the tool's own words in every error.

import type { Family } from '../../address/network.js';
import { ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';
import { ToolSession, type Framing } from '../../exec/tool-session.js';
import { isHarmless, parseBatchFailures, type BatchFailure, type RouteVerb } from './parse.js';

const BATCH_ARGS = ['-force', '-batch', '-'];

/**
 * How `ip -batch -` (a session) tells that it has run a batch: it prints nothing when a line
 * succeeds, so a line naming no object follows each batch; ip answers it with "Object … is unknown"
 * and "Command failed -:N", N the sentinel's own line number, which only it can print.
 */
const IP_SENTINEL: Framing = {
  frame: (first, count) => ({ trailer: 'stickyban-end-of-batch\n', marker: `Command failed -:${first + count}\n`, answers: 1, wholeLine: false }),
};

/** Runs batches of lines, one transaction of routes each (see Ip.batch). */
export interface RouteBatches {
  batch(lines: readonly BatchLine[], context: string): Promise<void>;
  close(): void;
}

export interface BatchLine {
  readonly verb: RouteVerb;
  readonly text: string;
}

export class Ip {
  constructor(private readonly runner: Runner) {}

  /** `ip -j route show type blackhole` of the main table, per family. */
  async blackholeRoutes(family: Family): Promise<string> {
    const args = ['-j', ...(family === 6 ? ['-6'] : []), 'route', 'show', 'type', 'blackhole'];
    const { stdout } = await this.runner('ip', args, { context: `listing IPv${family} blackhole routes` });
    // Older iproute2 prints nothing rather than [] when there is no route.
    return stdout.trim() || '[]';
  }

  /** `ip -j route show table TABLE type unicast`, per family: the routes that let packets through. */
  async unicastRoutes(family: Family, table: string): Promise<string> {
    const args = ['-j', ...(family === 6 ? ['-6'] : []), 'route', 'show', 'table', table, 'type', 'unicast'];
    return (await this.runner('ip', args, { context: `listing IPv${family} routes of table ${table}` })).stdout;
  }

  /** `ip -j rule show`, per family: the policy rules, in the order the kernel looks them up. */
  async rules(family: Family): Promise<string> {
    const args = ['-j', ...(family === 6 ? ['-6'] : []), 'rule', 'show'];
    return (await this.runner('ip', args, { context: `listing IPv${family} policy rules` })).stdout;
  }

  /**
   * Whether `address` goes to a blackhole: `ip route get` answers a lookup that ends in one with
   * EINVAL ("Invalid argument"), one without any route with ENETUNREACH. A kernel lookup, not a
   * listing, so it costs the same with a million routes.
   */
  async blackholed(family: Family, address: string): Promise<boolean> {
    const args = [...(family === 6 ? ['-6'] : []), 'route', 'get', address];
    const result = await this.runner('ip', args, { allowFailure: true, context: `looking up the route to ${address}` });
    return result.exitCode !== 0 && /Invalid argument/.test(result.stderr);
  }

  /**
   * Runs the lines in one `ip -force -batch -`. -force goes on past a failed line, so one route that
   * is already gone or already there does not stop the rest; such failures are fine (isHarmless), any
   * other one is thrown with what ip said about each failed line.
   */
  async batch(lines: readonly BatchLine[], context: string): Promise<void> {
    if (lines.length === 0) return;
    const result = await this.runner('ip', BATCH_ARGS, { input: chunks(lines), allowFailure: true, context });
    if (result.exitCode !== 0) judgeFailures(lines, parseBatchFailures(result.stderr), result.stderr, result.exitCode, context);
  }

  /** One `ip -force -batch -` for many batches (see exec/tool-session.ts), read as batch() reads its own. */
  openSession(): RouteBatches {
    // A batch of a few thousand routes takes a second or two.
    const tool = new ToolSession('ip', BATCH_ARGS, IP_SENTINEL, { answerMs: 60_000 });
    return {
      batch: async (lines, context) => {
        if (lines.length === 0) return;
        const { answers: [answer = ''], first } = await tool.send(lines.map((line) => line.text));
        // ip numbers the lines over the whole session. What follows the last numbered failure is
        // what it said of the sentinel.
        const failures = parseBatchFailures(answer).map((failure) => ({ ...failure, line: failure.line - first + 1 }));
        if (failures.length > 0) judgeFailures(lines, failures, answer, 1, context);
      },
      close: () => tool.stop(),
    };
  }
}

/**
 * Throws what ip said about each failed line, unless every failure leaves the routes as wanted
 * (isHarmless). `output`: all ip printed, for a failure it did not number.
 */
function judgeFailures(lines: readonly BatchLine[], failures: readonly BatchFailure[], output: string, exitCode: number | null, context: string): void {
  const real = failures.filter((failure) => {
    const line = lines[failure.line - 1];
    return !line || !isHarmless(line.verb, failure.message);
  });
  if (failures.length > 0 && real.length === 0) return;
  const detail = real.length > 0 ? real.map((failure) => `${lines[failure.line - 1]?.text.trim() ?? `line ${failure.line}`}: ${failure.message}`).join('\n') : output;
  throw new ToolError(['ip', ...BATCH_ARGS], exitCode, detail, context);
}

function* chunks(lines: readonly BatchLine[]): Generator<string> {
  for (let i = 0; i < lines.length; i += 4096) {
    yield lines
      .slice(i, i + 4096)
      .map((line) => line.text)
      .join('');
  }
}
