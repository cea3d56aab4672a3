// Reads a namespace's ipsets with the same parsers the ipset backend uses.

import { parseHeader, parseMembers } from '../../src/firewall/ipset/cmd.js';
import type { Netns } from './netns.js';

/** Members of a set, sorted, as `ipset list` prints them. */
export async function ipsetMembers(netns: Netns, set: string): Promise<string[]> {
  return parseMembers(await netns.exec('ipset', ['list', set])).sort();
}

/** The entry count of a set's header. */
export async function ipsetEntries(netns: Netns, set: string): Promise<number> {
  return parseHeader(await netns.exec('ipset', ['list', '-t', set])).entries;
}
