// A thin wrapper around iproute2's `ip` for blackhole routes: one method per verb, batches on stdin,
// the tool's own words in every error.

import type { Family } from '../../address/network.js';
import { ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';
import { isHarmless, parseBatchFailures, type RouteVerb } from './parse.js';

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
    const args = ['-force', '-batch', '-'];
    const result = await this.runner('ip', args, { input: chunks(lines), allowFailure: true, context });
    if (result.exitCode === 0) return;
    const failures = parseBatchFailures(result.stderr);
    const real = failures.filter((failure) => {
      const line = lines[failure.line - 1];
      return !line || !isHarmless(line.verb, failure.message);
    });
    if (failures.length > 0 && real.length === 0) return;
    const detail = real.length > 0 ? real.map((failure) => `${lines[failure.line - 1]?.text.trim() ?? `line ${failure.line}`}: ${failure.message}`).join('\n') : result.stderr;
    throw new ToolError(['ip', ...args], result.exitCode, detail, context);
  }
}

function* chunks(lines: readonly BatchLine[]): Generator<string> {
  for (let i = 0; i < lines.length; i += 4096) {
    yield lines
      .slice(i, i + 4096)
      .map((line) => line.text)
      .join('');
  }
}
