// A thin wrapper around fail2ban-client, talking to the running fail2ban-server on its socket: one
// method per command, an argument array (never a shell), the tool's own words in every error. Each
// call is a Python process of its own (~0.2 s).

import { existsSync } from 'node:fs';
import { ToolError, ToolMissingError } from '../errors.js';
import type { Runner } from '../exec/run.js';

/**
 * How long fail2ban-server may take to answer one command: it answers in well under a second, even
 * holding thousands of bans; one that accepts the connection and never answers (wedged) held
 * doctor, unban --fail2ban and safelist --fail2ban for good.
 */
const ANSWER_MS = 20_000;

export class Fail2banClient {
  constructor(
    private readonly runner: Runner,
    readonly socket: string,
  ) {}

  /** Undefined when a fail2ban-server answers on the socket; else why none does, in a few words. */
  async notRunning(): Promise<string | undefined> {
    if (!existsSync(this.socket)) return `no socket at ${this.socket}`;
    try {
      const answer = await this.call(['ping'], 'asking fail2ban whether it runs');
      return /pong/.test(answer) ? undefined : `it answered ${JSON.stringify(answer.trim())} on ${this.socket}, not pong`;
    } catch (error) {
      if (error instanceof ToolMissingError) return 'fail2ban-client is not installed';
      return `no answer on ${this.socket}: ${(error as Error).message}`;
    }
  }

  /** The jails that run, as `fail2ban-client status` lists them. */
  async jails(): Promise<string[]> {
    return parseJailList(await this.call(['status'], 'listing the jails of fail2ban'));
  }

  /** The actions of a running jail (`get <jail> actions`). */
  async actions(jail: string): Promise<string[]> {
    return parseActions(await this.call(['get', jail, 'actions'], `listing the actions of jail ${jail}`));
  }

  /** Lifts fail2ban's own bans of an address (or of every address inside a CIDR): in every jail, or in one. Returns how many. */
  async unban(address: string, jail?: string): Promise<number> {
    const args = jail === undefined ? ['unban', address] : ['set', jail, 'unbanip', address];
    return parseCount(await this.call(args, `lifting fail2ban's ban of ${address}`));
  }

  async addIgnoreIp(jail: string, address: string): Promise<void> {
    await this.call(['set', jail, 'addignoreip', address], `adding ${address} to the ignore list of jail ${jail}`);
  }

  async delIgnoreIp(jail: string, address: string): Promise<void> {
    await this.call(['set', jail, 'delignoreip', address], `removing ${address} from the ignore list of jail ${jail}`);
  }

  /** A jail's ignore list (`get <jail> ignoreip`), as fail2ban writes each entry. */
  async ignoredIps(jail: string): Promise<string[]> {
    return parseIgnoreList(await this.call(['get', jail, 'ignoreip'], `reading the ignore list of jail ${jail}`));
  }

  /**
   * fail2ban-client says what failed on stdout ("Sorry but the jail 'x' does not exist") and on
   * stderr (a log line, "ERROR   NOK: ('x',)"); both go into the error, without the log's stamp.
   */
  private async call(args: readonly string[], context: string): Promise<string> {
    const command = ['-s', this.socket, ...args];
    const result = await this.runner('fail2ban-client', command, { allowFailure: true, context, timeoutMs: ANSWER_MS });
    if (result.exitCode === 0) return result.stdout;
    throw new ToolError(['fail2ban-client', ...command], result.exitCode, `${result.stdout}\n${withoutLogStamps(result.stderr)}`, context);
  }
}

/** "2026-12-06 14:47:24,261 fail2ban  [10339]: ERROR   NOK: ('nosuch',)" -> "NOK: ('nosuch',)". */
export function withoutLogStamps(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \S+\s+\[\d+\]: [A-Z]+\s+/gm, '');
}

/** The names after "Jail list:" in `fail2ban-client status`. */
export function parseJailList(status: string): string[] {
  const list = /Jail list:\s*(.*)$/m.exec(status)?.[1] ?? '';
  return list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** `get <jail> actions`: a heading line, then the names separated by commas. */
export function parseActions(text: string): string[] {
  const lines = text.trim().split('\n');
  return (lines.length > 1 ? lines.slice(1).join(',') : '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** `get <jail> ignoreip`: a heading line, then one "|- 10.0.0.0/24" or "`- 127.0.0.0/8" per entry. */
export function parseIgnoreList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*[|`]- (.+)$/.exec(line)?.[1]?.trim())
    .filter((entry): entry is string => entry !== undefined && entry !== '');
}

/** The number fail2ban answers an unban with; 0 when it said something else. */
function parseCount(text: string): number {
  const count = Number(text.trim());
  return Number.isInteger(count) && count >= 0 ? count : 0;
}
