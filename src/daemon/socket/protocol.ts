// The daemon's socket protocol, pure: one JSON object per line each way, answers in the order of the
// requests. Requests are validated here as strictly as the command line validates its options (the
// ban's own fields by the same functions, actions/ban-request.ts); a bad one is answered with the
// `invalid` code and one line saying what is wrong, and changes nothing.
//
//   → {"op":"ban","address":"192.0.2.7","jail":"sshd","bantime":"600","restored":"0","event_id":"…"}
//   ← {"ok":true,"recorded":true,"blocked":true,"message":"banned 192.0.2.7 (jail sshd)"}
//   ← {"ok":false,"code":"invalid","error":"invalid jail name \"a b\": expected …"}
//
// Codes come from the kind of the failure (ERROR_KINDS in errors.ts): invalid (do not retry: the
// same request fails the same way), failed (the work could not be done: fall back to the command).

import { ERROR_KINDS, kindOf, StickybanError, UsageError } from '../../errors.js';
import { quote } from '../../input/quote.js';
import type { BanFields } from '../../actions/ban-request.js';

/** A request line longer than this is refused and the connection closed: a ban takes a few hundred bytes. */
export const MAX_LINE_BYTES = 16 * 1024;

export type Request =
  /** `db`: the store the client means; a daemon serving another one refuses (failed), and the client records the ban itself. */
  | { readonly op: 'ban'; readonly address: string; readonly fields: BanFields; readonly db?: string }
  /** Is the daemon up: answered at once, whatever the store or the firewall are doing. */
  | { readonly op: 'health' }
  /** Check now that the blocklist is in place and repair it (fail2ban's actionstart). */
  | { readonly op: 'check' };

export type Response = { readonly ok: true; readonly [key: string]: unknown } | { readonly ok: false; readonly code: string; readonly error: string };

/** The ban fields a request may carry, by their names on the wire, as BanFields names them. */
const BAN_TEXT_FIELDS: Record<string, keyof BanFields> = {
  jail: 'jail',
  bantime: 'bantime',
  reason: 'reason',
  source: 'source',
  restored: 'restored',
  time: 'time',
  duration: 'duration',
  event_id: 'eventId',
};

/** Parses one request line; throws an invalid-kind error naming what is wrong. */
export function parseRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new UsageError(`request is not JSON: expected one JSON object per line, such as {"op":"health"}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('request is not a JSON object: expected {"op": …}');
  const request = value as Record<string, unknown>;
  switch (request.op) {
    case 'health':
    case 'check':
      onlyKeys(request, ['op']);
      return { op: request.op };
    case 'ban':
      return parseBan(request);
    default:
      // Not String(op): an array nested thousands deep would recurse out of the stack.
      throw new UsageError(`unknown op ${typeof request.op === 'string' ? quote(request.op) : `(a JSON ${request.op === null ? 'null' : Array.isArray(request.op) ? 'array' : typeof request.op})`}: expected ban, health or check`);
  }
}

/**
 * A lone UTF-16 surrogate: JSON's \ud800 escape makes one where no byte could (LineReader refuses
 * bytes that are not UTF-8), and SQLite would store it as bytes that are not UTF-8 either.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function text(wire: string, value: string): string {
  if (LONE_SURROGATE.test(value)) throw new UsageError(`"${wire}" holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape without its pair): expected text`);
  return value;
}

function parseBan(request: Record<string, unknown>): Request {
  onlyKeys(request, ['op', 'address', 'force', 'db', ...Object.keys(BAN_TEXT_FIELDS)]);
  const address = request.address;
  if (typeof address !== 'string') throw new UsageError('"address" must be a string: the address or CIDR to ban');
  text('address', address);
  const fields: Record<string, unknown> = {};
  for (const [wire, name] of Object.entries(BAN_TEXT_FIELDS)) {
    const field = request[wire];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'string') throw new UsageError(`"${wire}" must be a string`);
    fields[name] = text(wire, field);
  }
  if (request.force !== undefined && typeof request.force !== 'boolean') throw new UsageError('"force" must be true or false');
  if (request.force === true) fields.force = true;
  if (request.db !== undefined && (typeof request.db !== 'string' || !request.db.startsWith('/'))) throw new UsageError('"db" must be an absolute path: the store the ban is for');
  return { op: 'ban', address, fields: fields as BanFields, ...(typeof request.db === 'string' ? { db: text('db', request.db) } : {}) };
}

function onlyKeys(request: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(request).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new UsageError(`unknown field ${quote(unknown)} in a ${String(request.op)} request: expected ${known.filter((key) => key !== 'op').join(', ') || 'none'}`);
}

/** The answer to a failure: its kind's code, and its message (a bug says only that it is one). */
export function failure(error: unknown): Response {
  const kind = kindOf(error);
  const message = error instanceof StickybanError ? error.message : `internal error: ${(error as Error)?.message?.split('\n')[0] ?? String(error)}`;
  return { ok: false, code: ERROR_KINDS[kind].response, error: message };
}

export function encode(response: Response): string {
  return `${JSON.stringify(response)}\n`;
}

/**
 * Splits a byte stream into lines, at most MAX_LINE_BYTES each: `push` returns the complete lines
 * of a chunk, or throws once a line grows past the limit (the connection is then closed).
 */
export class LineReader {
  private pending = '';
  /** Not lenient: a byte that is not UTF-8 would become U+FFFD in a reason or a jail, unsaid. */
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  push(bytes: Buffer): string[] {
    let chunk: string;
    try {
      chunk = this.decoder.decode(bytes, { stream: true });
    } catch {
      throw new UsageError('request is not valid UTF-8: expected JSON text in UTF-8');
    }
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop()!;
    if (Buffer.byteLength(this.pending) > MAX_LINE_BYTES || lines.some((line) => Buffer.byteLength(line) > MAX_LINE_BYTES)) {
      throw new UsageError(`request longer than ${MAX_LINE_BYTES} bytes: expected one short JSON object per line`);
    }
    return lines.filter((line) => line.trim() !== '');
  }

  /** Whether a line has begun and not ended yet. */
  get midLine(): boolean {
    return this.pending !== '';
  }
}
