import { UsageError } from '../errors.js';
import { quote } from './quote.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$/;
const NAME_EXPECTED = "expected 1-64 letters, digits, '-', '_', '.', '@' or '+', starting with a letter or digit";
/** A jail's name may hold a ':' too, as fail2ban's may ([web:8080]); a source may not (fleet:<host> is the fleet's). */
const JAIL = /^[A-Za-z0-9][A-Za-z0-9_.@+:-]{0,63}$/;
export const JAIL_EXPECTED = "expected 1-64 letters, digits, '-', '_', '.', '@', '+' or ':', starting with a letter or digit";

/** A fail2ban jail name (or our own labels such as "manual"); names reach logs and tables as is. */
export function parseJail(text: string): string {
  if (!isJailName(text)) throw new UsageError(`invalid jail name ${quote(text)}: ${JAIL_EXPECTED}`);
  return text;
}

/** parseJail's rule as a test (an import counts bad rows instead of stopping at the first). */
export function isJailName(text: string): boolean {
  return JAIL.test(text);
}

/** Who recorded a ban (fail2ban, manual, a script's name) or asked for a restore. Same alphabet as a jail. */
export function parseSource(text: string, what = 'source'): string {
  if (!NAME.test(text)) throw new UsageError(`invalid ${what} ${quote(text)}: ${NAME_EXPECTED}`);
  return text;
}

export const MAX_TEXT = 200;
// C0 and C1 controls, line separators, and the bidi controls and marks that would reorder a
// table's columns on a terminal (a "Trojan Source" reason); the byte order mark. What quote() escapes.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Free text (a reason, a note): one line, printable, short enough for a table. */
export function parseNote(text: string, what: string): string {
  if (new RegExp(CONTROL.source).test(text)) {
    throw new UsageError(`invalid ${what} ${quote(text)}: expected one line of text without control characters`);
  }
  if (text.length > MAX_TEXT) {
    throw new UsageError(`invalid ${what} ${quote(text)}: expected at most ${MAX_TEXT} characters`);
  }
  return text.trim();
}

/** Text from a file made into what parseNote accepts: control characters blanked, cut to length. */
export function cleanNote(text: string): string {
  return text.replace(CONTROL, ' ').trim().slice(0, MAX_TEXT);
}

/** fail2ban's <restored> tag: 0 or 1 (also accepted as false/true). */
export function parseFlag(text: string, what: string): boolean {
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false' || text === '') return false;
  throw new UsageError(`invalid ${what} ${quote(text)}: expected 0 or 1`);
}
