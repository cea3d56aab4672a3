// The rules of a legacy blocklist chain as `iptables-save` (or `ip6tables-save`) prints them. Only
// rules that block a source outright become bans: `-A <chain> -s <addr> -j DROP|REJECT`, optionally
// with a comment. A rule that also matches a protocol, a port or an interface blocks less than the
// whole address, so it is left out and listed (--verbose) rather than widened into a full ban.

import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { UsageError } from '../errors.js';
import { cleanNote } from '../input/names.js';
import { quote } from '../input/quote.js';
import type { LineOutcome } from './outcome.js';
import type { LineParser } from './parser.js';

export const DEFAULT_CHAIN = 'Blocklist';

const COUNTERS = /^\[\d+:\d+\] +/;

/** ":NAME POLICY [packets:bytes]", as iptables-save declares a chain. */
const CHAIN_DECLARATION = /^:(\S+) \S+ \[\d+:\d+\]$/;

/** iptables' own limit: chain names are at most 28 characters, without blanks. */
export function parseChain(text: string): string {
  if (!/^[A-Za-z0-9_.-]{1,28}$/.test(text)) {
    throw new UsageError(`invalid --chain ${quote(text)}: expected an iptables chain name (1-28 letters, digits, '_', '.' or '-')`);
  }
  return text;
}

/**
 * Names a file declares, kept to name them in an error: the first few, quoted (a name is the
 * file's bytes), however many a file declares: a file of a million declarations is read in the
 * memory of a few.
 */
class DeclaredNames {
  private readonly shown: string[] = [];
  private more = false;

  add(name: string): void {
    if (this.shown.includes(name)) return;
    if (this.shown.length < 10) this.shown.push(name);
    else this.more = true;
  }

  get none(): boolean {
    return this.shown.length === 0;
  }

  toString(): string {
    return `${this.shown.map((name) => quote(name.length > 40 ? `${name.slice(0, 40)}…` : name)).join(', ')}${this.more ? ', …' : ''}`;
  }
}

export class IptablesSaveParser implements LineParser {
  private readonly chains = new DeclaredNames();
  private readonly tables = new DeclaredNames();
  private sawChain = false;
  private sawFilter = false;
  /** The table of the lines being read ("*filter"); undefined before any (a hand-written file may name none). */
  private table: string | undefined;

  constructor(private readonly chain: string) {}

  parse(line: string): LineOutcome {
    if (line.charCodeAt(0) === 42 /* * */) {
      const table = line.slice(1).trim();
      this.table = table === 'filter' ? 'filter' : table.slice(0, 41);
      this.sawFilter ||= table === 'filter';
      this.tables.add(table);
      return undefined;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      // ":Blocklist - [0:0]" declares a chain (an IPv6 address of a plain list starts with ':' too).
      const declared = CHAIN_DECLARATION.exec(line)?.[1];
      if (declared !== undefined && this.inFilter()) this.declare(declared);
      return undefined;
    }
    // `iptables-save -c` puts each rule's packet and byte counters first: "[12:720] -A Blocklist …".
    const rule = line.charCodeAt(0) === 91 /* [ */ ? line.replace(COUNTERS, '') : line;
    if (!rule.startsWith(`-A ${this.chain} `)) return undefined;
    if (!this.inFilter()) return { ignored: `it is in the ${quote(this.table!)} table; a blocklist chain is in the filter table` };
    // A hand-written rules file may add to a chain it never declares.
    this.declare(this.chain);
    return parseRule(rule.trimEnd());
  }

  private declare(chain: string): void {
    this.sawChain ||= chain === this.chain;
    this.chains.add(chain);
  }

  private inFilter(): boolean {
    return this.table === undefined || this.table === 'filter';
  }

  finish(file: string): void {
    if (this.sawChain) return;
    if (!this.tables.none && !this.sawFilter) {
      throw new UsageError(`${file} has no filter table, where a blocklist chain is (its tables: ${this.tables})`);
    }
    throw new UsageError(
      this.chains.none
        ? `${file} is not iptables-save output: it declares no chain (expected lines such as ":${this.chain} - [0:0]")`
        : `${file} has no chain ${quote(this.chain)}; its chains are ${this.chains} (choose one with --chain)`,
    );
  }
}

/** One `-A <chain> …` rule of our chain. */
export function parseRule(line: string): LineOutcome {
  const words = splitWords(line);
  if (words === undefined) return { error: 'unbalanced quotes' };
  let source: string | undefined;
  let target: string | undefined;
  let comment: string | null = null;
  const other: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    if (word === '!') return { ignored: 'it has a negated match (!)' };
    if ((word === '-s' || word === '--source') && next !== undefined && source === undefined) {
      source = next;
      i++;
    } else if ((word === '-j' || word === '--jump') && next !== undefined) {
      target = next;
      i++;
    } else if (word === '-m' && next === 'comment') {
      i++;
    } else if (word === '--comment' && next !== undefined) {
      comment = next;
      i++;
    } else if (word === '--reject-with' && next !== undefined && target === 'REJECT') {
      i++;
    } else {
      other.push(word);
    }
  }
  if (target === 'RETURN' && source === undefined && other.length === 0) return undefined; // the chain's usual end
  if (target !== 'DROP' && target !== 'REJECT') return { ignored: `-j ${target ?? '(none)'} is not DROP or REJECT` };
  if (other.length > 0) return { ignored: `it also matches ${other.join(' ')}, so it does not block the whole source` };
  if (source === undefined) return { ignored: `it has no -s, so it ${target === 'DROP' ? 'drops' : 'rejects'} every source` };
  const network = tryParseNetwork(source);
  if (isParseFailure(network)) return { error: `invalid source ${quote(source)}: ${network.error}` };
  return { network, reason: comment === null ? null : cleanNote(comment) || null, identity: '' };
}

/** Words of an iptables-save line; "double quoted" words may hold blanks and \" (iptables-save's quoting). */
export function splitWords(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    if (line[i] === '"') {
      let word = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        word += line[i];
        i++;
      }
      if (i >= line.length) return undefined;
      i++;
      words.push(word);
    } else {
      const start = i;
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
      words.push(line.slice(start, i));
    }
  }
  return words;
}
