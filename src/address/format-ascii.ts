// Addresses written as ASCII bytes straight into a buffer, the same text as formatIPv4/formatIPv6
// byte for byte. Restore writes a million of them into one file for a tool to read, and a string
// per address (built, then encoded, then collected) cost more than the rest of planning together.

/** Bytes an address's text takes at most. */
export const IPV4_TEXT_MAX = 15;
export const IPV6_TEXT_MAX = 39;

const DOT = 0x2e;
const COLON = 0x3a;
const ZERO = 0x30;

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

/**
 * Writes the RFC 5952 text of `value` at `at` and returns the offset after it. One hex string of the
 * whole value is the only thing allocated; groups are read from its character codes.
 */
export function writeIPv6(out: Uint8Array, at: number, value: bigint): number {
  const hex = value.toString(16);
  const pad = 32 - hex.length; // the leading zero digits toString leaves out
  // The longest run (≥ 2) of zero groups becomes "::", the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let group = 0; group < 8; ) {
    if (!isZeroGroup(hex, pad, group)) {
      group++;
      continue;
    }
    let end = group + 1;
    while (end < 8 && isZeroGroup(hex, pad, end)) end++;
    if (end - group > bestLength) {
      bestStart = group;
      bestLength = end - group;
    }
    group = end;
  }
  if (bestStart === -1) return writeGroups(out, at, hex, pad, 0, 8);
  at = writeGroups(out, at, hex, pad, 0, bestStart);
  out[at++] = COLON;
  out[at++] = COLON;
  return writeGroups(out, at, hex, pad, bestStart + bestLength, 8);
}

function isZeroGroup(hex: string, pad: number, group: number): boolean {
  for (let digit = group * 4; digit < group * 4 + 4; digit++) if (digit >= pad && hex.charCodeAt(digit - pad) !== ZERO) return false;
  return true;
}

/** Groups [from, to) joined by colons, each without its leading zeros. */
function writeGroups(out: Uint8Array, at: number, hex: string, pad: number, from: number, to: number): number {
  for (let group = from; group < to; group++) {
    if (group > from) out[at++] = COLON;
    let digit = group * 4;
    const end = digit + 4;
    while (digit < end - 1 && (digit < pad || hex.charCodeAt(digit - pad) === ZERO)) digit++;
    for (; digit < end; digit++) out[at++] = digit < pad ? ZERO : hex.charCodeAt(digit - pad);
  }
  return at;
}
