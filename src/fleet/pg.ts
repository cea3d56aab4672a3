// The one module that talks to PostgreSQL (node-postgres). Loaded only by the fleet commands and by
// a daemon with [fleet] set, never on the ban hook's path. Every query has a time limit, and reads
// of the log come in pages (see exchange.ts): nothing from the database is read unbounded.

import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { FleetConfig } from '../config/config.js';
import { OperationalError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { readBoundedText } from '../config/config-file.js';

/** A statement taking longer than this is cancelled by the server. */
const STATEMENT_TIMEOUT_MS = 30_000;
/** A query answers within statement_timeout, or the server says why: beyond this, the wire is taken as dead. */
const ANSWER_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 15_000;
const CONNECT_TIMEOUT_MS = 10_000;

export type Row = Record<string, unknown>;

export interface Connection {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs a `COPY … TO STDOUT` and hands each data message to `decode` as it comes: the message is a
   * view of the driver's read buffer, valid during the call only. The decoded rows, in order, and
   * none for a message decoded as undefined. The statement's own LIMIT bounds what is held.
   */
  copyOut<T>(sql: string, decode: (message: Buffer) => T | undefined): Promise<T[]>;
  /** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on a failure). */
  transaction<T>(work: (connection: Connection) => Promise<T>): Promise<T>;
  /** LISTEN on `channel`; `onNotify` runs for each notification. */
  listen(channel: string, onNotify: () => void): Promise<void>;
  /** Called once when the connection breaks (the server restarts, the network goes). */
  onLost(handler: (error: Error) => void): void;
  end(): Promise<void>;
  /** user@host/database, for messages (never the password). */
  readonly describe: string;
  /** The database's address on the network, as connected to; undefined on a Unix socket. */
  readonly peer: string | undefined;
}

/** Connects as the config says: its URI (or `url`, for the admin commands), password file and TLS. */
export async function connect(fleet: FleetConfig, url: string | undefined = fleet.url): Promise<Connection> {
  if (url === undefined) throw new UsageError('no fleet is configured: set url in the [fleet] section of the config file (see README, "Fleet")');
  let target: pg.ClientConfig;
  try {
    // Parsed here, not by pg.Client: given a connection string, it lets the string's (empty)
    // password win over the one of password_file.
    target = parseIntoClientConfig(url);
  } catch (error) {
    throw new UsageError(`invalid fleet url: ${(error as Error).message}; expected a URI such as postgresql://stickyban_web1@db.example.net/stickyban`);
  }
  // A password in the URI (an admin's --url) wins; else password_file's; else libpq's ways.
  if (!target.password) {
    delete target.password;
    if (fleet.passwordFile !== undefined) target.password = readPasswordFile(fleet.passwordFile);
  }
  const client = new pg.Client({
    ...target,
    ...sslOptions(fleet),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: `stickyban ${fleet.host}`,
  });
  const where = describe(target);
  let lost: ((error: Error) => void) | undefined;
  let ended = false;
  client.on('error', (error: Error) => {
    if (ended) return;
    ended = true;
    lost?.(error);
  });
  client.on('end', () => {
    if (ended) return;
    ended = true;
    lost?.(new Error('the server closed the connection'));
  });
  try {
    await client.connect();
  } catch (error) {
    ended = true;
    throw new OperationalError(`cannot connect to the fleet database ${where}: ${(error as Error).message}`);
  }
  // The socket itself (pg keeps it in `connection.stream`): its peer's address, and to cut a connection that no longer answers.
  const stream = (client as unknown as { connection?: { stream?: { remoteAddress?: string; destroy(): void } } }).connection?.stream;
  const cut = () => stream?.destroy();
  /**
   * `work`, or the connection given up as lost when no answer comes in time: a network that drops
   * its packets silently left the daemon "connected" for ~16 minutes (the kernel's retries), its
   * sync frozen and its stop waiting. statement_timeout bounds the server's side, this the wire.
   */
  const answered = async <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
        if (!ended) {
          ended = true;
          lost?.(error);
        }
        cut();
        reject(error);
      }, ANSWER_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work, silence]);
    } finally {
      clearTimeout(timer);
    }
  };
  const connection: Connection = {
    describe: where,
    peer: stream?.remoteAddress,
    query: async <T extends Row>(sql: string, params: readonly unknown[] = []) => {
      try {
        return (await answered(client.query(sql, params as unknown[]))).rows as T[];
      } catch (error) {
        throw new OperationalError(`fleet database ${where}: ${(error as Error).message}`);
      }
    },
    copyOut: async <T>(sql: string, decode: (message: Buffer) => T | undefined) => {
      try {
        return await answered(new Promise<T[]>((resolve, reject) => void client.query(new CopyOut(sql, decode, resolve, reject))));
      } catch (error) {
        throw new OperationalError(`fleet database ${where}: ${(error as Error).message}`);
      }
    },
    transaction: async (work) => {
      await connection.query('BEGIN');
      try {
        const result = await work(connection);
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    listen: async (channel, onNotify) => {
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      await connection.query(`LISTEN ${channel}`);
    },
    onLost: (handler) => (lost = handler),
    end: async () => {
      ended = true;
      // A goodbye the server may never acknowledge (a dead network) is not waited for long.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([client.end().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      cut();
    },
  };
  return connection;
}

/**
 * COPY … TO STDOUT as node-postgres runs a query object of its own (what pg-copy-streams does, without
 * its streams: a page is decoded as it arrives and kept whole). The client calls these handlers in
 * protocol order: data messages, then the command's completion, then ready (or an error instead).
 */
class CopyOut<T> implements pg.Submittable {
  private readonly rows: T[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly text: string,
    private readonly decode: (message: Buffer) => T | undefined,
    private readonly resolve: (rows: T[]) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failure) return;
    try {
      const row = this.decode(message.chunk);
      if (row !== undefined) this.rows.push(row);
    } catch (error) {
      // Thrown here it would reach the socket's handler; the statement is let finish and then fails.
      this.failure = error as Error;
      this.rows.length = 0;
    }
  }

  handleError(error: Error): void {
    this.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure);
    else this.resolve(this.rows);
  }

  // The rest of a query's protocol, which a COPY does not take part in.
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
}

/** The password of password_file: a file only its owner (root, or the user running stickyban) may read, as libpq wants of ~/.pgpass. */
function readPasswordFile(path: string): string {
  const uid = process.getuid?.() ?? 0;
  const text = readBoundedText(path, 'fleet password_file', 'a password on one line', 4096, (stats) =>
    stats.uid !== uid || (stats.mode & 0o077) !== 0 ? `may be read by others (owner uid ${stats.uid}, mode ${(stats.mode & 0o777).toString(8)}): expected owned by uid ${uid}, mode 600 (chmod 600 it)` : undefined,
  );
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  // Which line would be the password is a guess: not made.
  if (lines.length > 1) throw new UsageError(`fleet password_file ${quote(path)} holds ${lines.length} lines: expected a password on one line`);
  return (lines[0] ?? '').trim();
}

/** The certificates of ca_file (PEM): a bundle of hundreds is well under 1 MiB. */
function readCaFile(path: string): string {
  return readBoundedText(path, 'fleet ca_file', 'PEM certificates', 1 << 20);
}

/** TLS as libpq's sslmode says; without a setting, what the URI says (sslmode=… in it). */
function sslOptions(fleet: FleetConfig): { ssl?: boolean | { ca?: string; rejectUnauthorized: boolean; checkServerIdentity?: () => undefined } } {
  const ca = fleet.caFile === undefined ? undefined : readCaFile(fleet.caFile);
  switch (fleet.sslmode) {
    case undefined:
    case 'prefer':
      return ca === undefined ? {} : { ssl: { ca, rejectUnauthorized: true } };
    case 'disable':
      return { ssl: false };
    case 'require':
      return { ssl: { rejectUnauthorized: false } };
    case 'verify-ca':
      // The certificate must chain to the CA; the host name in it is not checked.
      return { ssl: { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true, checkServerIdentity: () => undefined } };
    case 'verify-full':
      return { ssl: { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true } };
  }
}

/** user@host/database, for messages: never the password. */
function describe(target: pg.ClientConfig): string {
  return `${target.user ? `${target.user}@` : ''}${target.host || 'localhost'}${target.port ? `:${target.port}` : ''}/${target.database ?? ''}`;
}
