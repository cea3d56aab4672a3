// A thin wrapper around the ipset binary: one method per verb, the tool's own words in every error.

import { ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';

export interface SetHeader {
  readonly name: string;
  readonly type: string;
  readonly family: string;
  readonly maxelem: number;
  /** Seconds an entry lives (the set's default timeout), 0 for a set without one. */
  readonly timeout: number;
  readonly entries: number;
  readonly references: number;
}

export const SET_ABSENT = /The set with the given name does not exist/;
/** What `ipset -` prints before it reads each line. */
export const IPSET_PROMPT = 'ipset> ';

export class Ipset {
  constructor(private readonly runner: Runner) {}

  /** The header of every set (`ipset list -t`: counts, not members, so cheap at any size). */
  async headers(): Promise<SetHeader[]> {
    const { stdout } = await this.runner('ipset', ['list', '-t'], { context: 'listing ipsets' });
    return parseHeaders(stdout);
  }

  /** Runs a restore script; with `exist`, adding what is there and deleting what is not are no-ops. */
  async restore(script: string | Iterable<string>, options: { exist: boolean; context: string }): Promise<void> {
    await this.runner('ipset', options.exist ? ['-exist', 'restore'] : ['restore'], { input: script, context: options.context });
  }

  /**
   * The lines (add/del, each ending in \n) and then `list -t`, in one `ipset -exist -`: a live
   * change and the headers it is checked against (is the set there, does a rule use it) for one
   * process instead of two (the hook's path). Unlike restore, a line that fails does not stop the
   * ones after it; what failed is in `errors`.
   */
  async changeAndList(lines: readonly string[], context: string): Promise<{ headers: SetHeader[]; errors: string[] }> {
    const result = await this.runner('ipset', ['-exist', '-'], { input: [...lines, 'list -t\n'].join(''), allowFailure: true, context });
    const headers = parseHeaders(result.stdout.split(IPSET_PROMPT).join(''));
    const errors = result.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
    if (result.exitCode !== 0 && errors.length === 0) errors.push(`ipset exited with code ${result.exitCode}`);
    return { headers, errors };
  }

  /** `ipset list NAME`: the header and every member (a million members are ~14 MB of text). */
  async list(name: string): Promise<string> {
    return (await this.runner('ipset', ['list', name], { context: `listing ipset ${name}` })).stdout;
  }

  /** `ipset test NAME ENTRY`: whether the set matches it (an address: in any block of a hash:net); false when the set does not exist. */
  async test(name: string, entry: string): Promise<boolean> {
    const result = await this.runner('ipset', ['test', name, entry], { allowFailure: true, context: `looking up ${entry} in ipset ${name}` });
    if (result.exitCode === 0) return true;
    if (/is NOT in set/.test(result.stderr) || SET_ABSENT.test(result.stderr)) return false;
    throw new ToolError(['ipset', 'test', name, entry], result.exitCode, result.stderr, `looking up ${entry} in ipset ${name}`);
  }

  async destroy(name: string): Promise<void> {
    await this.runner('ipset', ['destroy', name], { context: `destroying ipset ${name}` });
  }
}

/** Every set's header in `ipset list -t` output (a blank line between sets). */
function parseHeaders(text: string): SetHeader[] {
  return text
    .split(/\n\s*\n/)
    .map(parseHeader)
    .filter((header) => header.name !== '');
}

/** Parses `ipset list -t NAME` (or the head of `ipset list NAME`). */
export function parseHeader(text: string): SetHeader {
  const field = (label: string): string => new RegExp(`^${label}: (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const header = field('Header');
  return {
    name: field('Name'),
    type: field('Type'),
    family: /family (\S+)/.exec(header)?.[1] ?? '',
    maxelem: Number(/maxelem (\d+)/.exec(header)?.[1] ?? 0),
    timeout: Number(/\btimeout (\d+)/.exec(header)?.[1] ?? 0),
    entries: Number(field('Number of entries') || 0),
    references: Number(field('References') || 0),
  };
}

/** The lines after "Members:" of `ipset list NAME`. */
export function parseMembers(text: string): string[] {
  const start = text.indexOf('Members:\n');
  if (start === -1) return [];
  return text
    .slice(start + 'Members:\n'.length)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
