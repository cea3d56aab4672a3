// The rules are static: one set-match rule in our chain and one jump to the chain from each hook
// chain. Only set contents change, so configuration management sees no drift. Planning what to add
// or remove is a pure function of `iptables -S`, tested against real output.

import type { Family } from '../address/network.js';
import type { Runner } from '../exec/run.js';

export interface RuleWanted {
  /** Our chain, e.g. Blocklist. */
  readonly chain: string;
  /** The set whose sources the chain drops. */
  readonly set: string;
  /** Chains that must jump to ours, e.g. INPUT (and FORWARD). */
  readonly hookChains: readonly string[];
}

export interface RuleCommand {
  readonly args: string[];
  /** One line for the log: what this repairs. */
  readonly why: string;
}

export function matchSpec(set: string): string[] {
  return ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP'];
}

/**
 * Commands that make the table hold our chain, exactly one match rule in it and exactly one jump
 * from each hook chain. The admin's own rules, in our chain or elsewhere, are left as they are; a
 * missing rule is inserted first in the chain so a trailing RETURN cannot shadow it.
 */
export function planRules(listing: string, wanted: RuleWanted): RuleCommand[] {
  const lines = listing.split('\n').map((line) => line.trim());
  const count = (chain: string, spec: string[]): number => lines.filter((line) => line === `-A ${chain} ${spec.join(' ')}`).length;
  const commands: RuleCommand[] = [];
  const chainExists = lines.includes(`-N ${wanted.chain}`);
  if (!chainExists) commands.push({ args: ['-N', wanted.chain], why: `created chain ${wanted.chain}` });

  const match = matchSpec(wanted.set);
  commands.push(...exactlyOnce(wanted.chain, match, chainExists ? count(wanted.chain, match) : 0, `rule ${match.join(' ')} in ${wanted.chain}`));
  for (const hook of wanted.hookChains) {
    const jump = ['-j', wanted.chain];
    commands.push(...exactlyOnce(hook, jump, count(hook, jump), `jump from ${hook} to ${wanted.chain}`));
  }
  return commands;
}

function exactlyOnce(chain: string, spec: string[], present: number, what: string): RuleCommand[] {
  if (present === 0) return [{ args: ['-I', chain, '1', ...spec], why: `added ${what}` }];
  return Array.from({ length: present - 1 }, () => ({ args: ['-D', chain, ...spec], why: `removed a duplicate ${what}` }));
}

export function iptablesBinary(family: Family): string {
  return family === 4 ? 'iptables' : 'ip6tables';
}

/** `iptables -S` (or ip6tables) of the filter table. */
export async function listRules(runner: Runner, family: Family): Promise<string> {
  const binary = iptablesBinary(family);
  return (await runner(binary, ['-w', '-t', 'filter', '-S'], { context: `reading ${binary} rules` })).stdout;
}

/**
 * Applies what planRules says to the filter table of one family; returns what it did. `listing` is
 * the table read earlier (restore reads it while the sets load), or it is read now.
 */
export async function ensureRules(runner: Runner, family: Family, wanted: RuleWanted, listing?: string): Promise<string[]> {
  const binary = iptablesBinary(family);
  const commands = planRules(listing ?? (await listRules(runner, family)), wanted);
  for (const command of commands) {
    await runner(binary, ['-w', '-t', 'filter', ...command.args], { context: `${binary}: ${command.why}` });
  }
  return commands.map((command) => `${binary}: ${command.why}`);
}

/** The problems planRules would fix, without fixing them (doctor, self-heal). */
export async function inspectRules(runner: Runner, family: Family, wanted: RuleWanted): Promise<RuleCommand[]> {
  return planRules(await listRules(runner, family), wanted);
}
