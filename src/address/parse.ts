// Strict parsing of the textual forms an admin or fail2ban hands us. Every accepted input has exactly
// one meaning: leading-zero octets (octal or decimal?), zone ids, host bits in a CIDR and hostnames
// are refused instead of guessed. The parser is a hand-written scanner because it runs once per line
// of a million-line import; ip-num is the reference it is tested against (test/unit/address).

import { UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { formatNetwork } from './format.js';
import { network4, network6, spaceOf, type Cidr, type Family, type KeySpace, type Network } from './network.js';

export interface ParseFailure {
  readonly error: string;
}

export type ParseResult = Network | ParseFailure;

// The longest valid form is a full IPv6 address with an embedded IPv4 and a prefix (about 50).
const MAX_LENGTH = 64;
const MAPPED_PREFIX = 0xffffn;

export const EXPECTED_NETWORK =
  'expected an IPv4 or IPv6 address or CIDR, e.g. 192.0.2.7, 2001:db8::7 or 198.51.100.0/24';

export class InvalidAddressError extends UsageError {
  constructor(readonly input: string, readonly reason: string) {
    super(`invalid address ${quote(input)}: ${reason}; ${EXPECTED_NETWORK}`);
  }
}

export function isParseFailure(result: ParseResult): result is ParseFailure {
  return 'error' in result;
}

/** Parses an address or CIDR; throws InvalidAddressError (exit 2) with the reason. */
export function parseNetwork(text: string): Network {
  const result = tryParseNetwork(text);
  if (isParseFailure(result)) throw new InvalidAddressError(text, result.error);
  return result;
}

/** Like parseNetwork, but returns the reason instead of throwing (bulk imports count failures). */
export function tryParseNetwork(text: string): ParseResult {
  if (text.length === 0) return fail('it is empty');
  if (text.length > MAX_LENGTH) return fail(`it is too long (${text.length} characters)`);
  // eslint-disable-next-line no-control-regex
  if (/[^\x21-\x7e]/.test(text)) {
    return fail(/[\s]/.test(text) ? 'it contains whitespace' : 'it contains non-ASCII or control characters');
  }
  if (text.includes('%')) return fail('zone ids (such as %eth0) are not allowed');

  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const isV6 = addressText.includes(':');
  if (!(isV6 ? /^[0-9a-fA-F:.]+$/ : /^[0-9.]+$/).test(addressText)) {
    return fail('it is not an IP address (host names are not resolved)');
  }

  const value = isV6 ? parseIPv6(addressText) : parseIPv4(addressText);
  if (typeof value === 'string') return fail(value);

  const prefix = slash === -1 ? (isV6 ? 128 : 32) : parsePrefix(text.slice(slash + 1), isV6 ? 128 : 32);
  if (typeof prefix === 'string') return fail(prefix);
  return blockOf(value, prefix);
}

/**
 * The block of an address's bits (an IPv4 number, an IPv6 bigint) and a prefix length within its
 * family's, an IPv4-mapped IPv6 block of /96 or longer taken as the IPv4 one; or, with bits set
 * past the prefix, what is wrong. The text parser's last step, and the fleet's reader of the
 * server's binary cidr (fleet/copy-row.ts): a block is the same block however it came.
 */
export function blockOf(value: number | bigint, prefix: number): ParseResult {
  if (typeof value === 'number') return checkedNetwork(network4(value - (value % 2 ** (32 - prefix)), prefix), value);
  if (value >> 32n === MAPPED_PREFIX && prefix >= 96) {
    const v4 = Number(value & 0xffffffffn);
    return checkedNetwork(network4(v4 - (v4 % 2 ** (128 - prefix)), prefix - 96), v4);
  }
  const hostBits = (1n << BigInt(128 - prefix)) - 1n;
  return checkedNetwork(network6(value & ~hostBits, prefix), value);
}

function checkedNetwork(network: Network, given: number | bigint): ParseResult {
  if (network.first === given) return network;
  return fail(`host bits are set; the network is ${formatNetwork(network)}`);
}

function fail(error: string): ParseFailure {
  return { error };
}

function parsePrefix(text: string, max: number): number | string {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) return `prefix length ${quote(text)} is not a number 0-${max}`;
  const prefix = Number(text);
  return prefix > max ? `prefix length ${prefix} is out of range 0-${max}` : prefix;
}

/** Dotted quad of decimal octets; returns the value or the reason it is not one. */
export function parseIPv4(text: string): number | string {
  let value = 0;
  let octets = 0;
  let i = 0;
  for (;;) {
    const start = i;
    let octet = 0;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code < 48 || code > 57) break;
      octet = octet * 10 + (code - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0) return 'expected four decimal octets separated by dots';
    if (digits > 1 && text.charCodeAt(start) === 48) {
      return `octet ${quote(text.slice(start, i))} has a leading zero, which is ambiguous (octal or decimal?)`;
    }
    if (digits > 3 || octet > 255) return `octet ${text.slice(start, i)} is out of range 0-255`;
    value = value * 256 + octet;
    octets++;
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return 'expected four decimal octets separated by dots';
    i++;
  }
  return octets === 4 ? value : 'expected four decimal octets separated by dots';
}

/** RFC 4291 text forms: eight hex groups, one "::" for a run of zeros, optionally an IPv4 tail. */
export function parseIPv6(text: string): bigint | string {
  let body = text.toLowerCase();
  let tail = '';
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (typeof v4 === 'string') return `its embedded IPv4 part is invalid: ${v4}`;
    tail = v4.toString(16).padStart(8, '0');
    // Keep the colon in front of the IPv4 part only when it belongs to a "::".
    body = body.endsWith('::', lastColon + 1) ? body.slice(0, lastColon + 1) : body.slice(0, lastColon);
  }
  const wanted = tail ? 6 : 8;
  const gap = body.indexOf('::');
  if (gap !== -1 && body.indexOf('::', gap + 1) !== -1) return '"::" may appear only once';

  let groups: string[];
  if (gap === -1) {
    groups = body.split(':');
    if (groups.length !== wanted) return `expected 8 groups of hex digits, found ${groups.length + (tail ? 2 : 0)}`;
  } else {
    const left = gap === 0 ? [] : body.slice(0, gap).split(':');
    const right = gap + 2 === body.length ? [] : body.slice(gap + 2).split(':');
    const missing = wanted - left.length - right.length;
    if (missing < 1) return 'too many groups for an address with "::"';
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  }
  let hex = '';
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) {
      return group === '' ? 'it has an empty group' : `group ${quote(group)} is not 1-4 hex digits`;
    }
    hex += group.padStart(4, '0');
  }
  return BigInt(`0x${hex}${tail}`);
}

/**
 * An address or block exactly as a firewall tool printed it ("192.0.2.0/24", "2001:db8::1"), in the
 * family of the set or table it came from. Unlike parseNetwork, an IPv4-mapped IPv6 address stays
 * IPv6 (nft prints ::ffff:0.0.0.0/96 for that block of an IPv6 set). Output that does not parse is
 * a bug to report, not user input, hence a plain Error naming `what` was read.
 */
export function parseToolBlock(family: Family, text: string, what: string): Cidr<number | bigint> {
  const bits = family === 4 ? 32 : 128;
  const slash = text.indexOf('/');
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  const address = slash === -1 ? text : text.slice(0, slash);
  const value = family === 4 ? parseIPv4(address) : parseIPv6(address);
  if (typeof value === 'string' || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new Error(`unexpected ${what} ${JSON.stringify(text)}${typeof value === 'string' ? `: ${value}` : ''}`);
  }
  const space = spaceOf(family) as KeySpace<number | bigint>;
  return { first: value, last: space.blockLast(value, prefix), prefix };
}
