// Addresses written as ASCII bytes straight into a buffer, the same text as formatIPv4/formatIPv6
// byte for byte. Restore writes a million of them into one file for a tool to read, and a string
// per address (built, then encoded, then collected) cost more than the rest of planning together.

import { ipv6Groups, zeroRunToCompress } from './format.js';

/** Bytes an address's text takes at most. */
export const IPV4_TEXT_MAX = 15;
export const IPV6_TEXT_MAX = 39;

const DOT = 0x2e;
const COLON = 0x3a;

/** The decimal digits of 0..255, four bytes each: the count, then the digits. */
const OCTETS = new Uint8Array(256 * 4);
for (let value = 0; value < 256; value++) {
  const digits = String(value);
  OCTETS[value * 4] = digits.length;
  for (let i = 0; i < digits.length; i++) OCTETS[value * 4 + 1 + i] = digits.charCodeAt(i);
}

/** Writes the dotted quad of `value` at `at` and returns the offset after it. */
export function writeIPv4(out: Uint8Array, at: number, value: number): number {
  at = writeOctet(out, at, value >>> 24);
  out[at++] = DOT;
  at = writeOctet(out, at, (value >>> 16) & 255);
  out[at++] = DOT;
  at = writeOctet(out, at, (value >>> 8) & 255);
  out[at++] = DOT;
  return writeOctet(out, at, value & 255);
}

function writeOctet(out: Uint8Array, at: number, octet: number): number {
  const from = octet * 4;
  const count = OCTETS[from]!;
  out[at++] = OCTETS[from + 1]!;
  if (count > 1) out[at++] = OCTETS[from + 2]!;
  if (count > 2) out[at++] = OCTETS[from + 3]!;
  return at;
}

const HEX_DIGITS = new Uint8Array([...'0123456789abcdef'].map((digit) => digit.charCodeAt(0)));
/** The groups of the address being written (one at a time: this is single-threaded). */
const groups = new Uint16Array(8);

/** Writes the RFC 5952 text of `value` at `at` and returns the offset after it. */
export function writeIPv6(out: Uint8Array, at: number, value: bigint): number {
  ipv6Groups(value, groups);
  const { start: bestStart, length: bestLength } = zeroRunToCompress(groups);
  if (bestStart === -1) return writeGroups(out, at, 0, 8);
  at = writeGroups(out, at, 0, bestStart);
  out[at++] = COLON;
  out[at++] = COLON;
  return writeGroups(out, at, bestStart + bestLength, 8);
}

/** Groups [from, to) joined by colons, each in hex without leading zeros. */
function writeGroups(out: Uint8Array, at: number, from: number, to: number): number {
  for (let group = from; group < to; group++) {
    if (group > from) out[at++] = COLON;
    const value = groups[group]!;
    if (value >= 0x1000) out[at++] = HEX_DIGITS[value >> 12]!;
    if (value >= 0x100) out[at++] = HEX_DIGITS[(value >> 8) & 15]!;
    if (value >= 0x10) out[at++] = HEX_DIGITS[(value >> 4) & 15]!;
    out[at++] = HEX_DIGITS[value & 15]!;
  }
  return at;
}
