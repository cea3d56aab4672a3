const MAX_SHOWN = 60;
/** Beyond this a path is shown by its two ends: where it starts and the file it names. */
const MAX_PATH_SHOWN = 200;
/** Line breaks, C0 and C1 controls and bidi controls: what a terminal would act on. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * User input as it may appear inside a one-line error message: quoted, control and invisible
 * characters escaped (a newline in input must not split the message), long input cut short.
 */
export function quote(input: string): string {
  const shown = input.length > MAX_SHOWN ? input.slice(0, MAX_SHOWN) : input;
  // JSON escapes quotes, backslashes and C0 controls; the rest below are line breaks and bidi
  // controls that JSON leaves alone but a terminal would act on.
  const escaped = JSON.stringify(shown).replace(CONTROLS, escapeControl);
  return input.length > MAX_SHOWN ? `${escaped}… (${input.length} characters)` : escaped;
}

/**
 * A path inside a one-line message, unquoted: controls escaped, and a long one cut in the middle
 * (a 120 KB --db made a 360 KB error line).
 */
export function shownPath(path: string): string {
  if (path.length <= MAX_PATH_SHOWN) return path.replace(CONTROLS, escapeControl);
  const half = MAX_PATH_SHOWN / 2;
  return `${path.slice(0, half).replace(CONTROLS, escapeControl)}…${path.slice(-half).replace(CONTROLS, escapeControl)} (${path.length} characters)`;
}

function escapeControl(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Any value read from a record (JSON, an SQLite row), shown as quote() shows text: a number as itself. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return '(missing)';
  if (Buffer.isBuffer(value)) return `(a blob of ${value.length} bytes)`;
  return Array.isArray(value) ? '(a list)' : `(${typeof value === 'object' ? 'an object' : typeof value})`;
}
