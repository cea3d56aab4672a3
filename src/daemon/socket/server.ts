// The daemon's Unix socket: root only (the socket 0600 in a directory of its own, 0700 and owned by
// root), requests framed and parsed by protocol.ts, each answered by the handler in the order it
// came. A client that sends a line past the limit is told so and disconnected; a handler's failure
// is its answer, never the server's end.

import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { OperationalError, UsageError } from '../../errors.js';
import { distrustOf } from '../../files/trusted-dir.js';
import { encode, failure, LineReader, parseRequest, type Request, type Response } from './protocol.js';

export type Handler = (request: Request) => Promise<Response>;

/** Connections at once: fail2ban keeps one per jail; more than this is a runaway client. */
const MAX_CONNECTIONS = 256;
/** Requests of one connection answered or under way before it is read on again: a jail sends one at a time. */
const MAX_UNDER_WAY = 256;
/** Answers a client has not read yet, beyond which it is not read on until it does. */
const MAX_UNREAD_BYTES = 256 * 1024;
/**
 * How long a request may take to arrive whole once begun. A connection between requests may idle
 * for as long as it likes (fail2ban's action keeps one per jail), but one stuck half-way through a
 * line holds its place among MAX_CONNECTIONS for nothing.
 */
export const LINE_WAIT_MS = 10_000;

export class SocketServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly lastRequest = new Map<Socket, number>();

  constructor(
    readonly path: string,
    private readonly handle: Handler,
    private readonly log: (line: string) => void,
    private readonly lineWaitMs = LINE_WAIT_MS,
  ) {}

  /**
   * Connections that sent a request in the last `ms`, closed ones included (a client of one request
   * per connection is still at work between them): how many clients are banning at once.
   */
  clientsWithin(ms: number): number {
    const since = Date.now() - ms;
    let clients = 0;
    for (const [socket, at] of this.lastRequest) {
      if (at < since) this.lastRequest.delete(socket);
      else clients++;
    }
    return clients;
  }

  async start(): Promise<void> {
    prepareDirectory(dirname(this.path));
    await removeStale(this.path);
    // Half open: a client may end its side after its last request and still read the answers.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The directory keeps everyone else out already; the mode says so on the socket too.
    chmodSync(this.path, 0o600);
    server.on('error', (error) => this.log(`socket ${this.path}: ${error.message}`));
    this.server = server;
  }

  /** Stops accepting, ends every connection and removes the socket. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new LineReader();
    // Answers go out in the order of the requests: each waits for the one before.
    let previous: Promise<void> = Promise.resolve();
    // A client that sends without reading the answers is not read on: its answers (and requests
    // under way) would pile up in the daemon's memory instead.
    let underWay = 0;
    let ending = false;
    const throttle = () => {
      if (underWay >= MAX_UNDER_WAY || socket.writableLength >= MAX_UNREAD_BYTES) socket.pause();
      else if (!ending) socket.resume();
    };
    const refuse = (error: unknown) => {
      ending = true;
      socket.end(encode(failure(error)));
      socket.pause();
    };
    let lineBegun: NodeJS.Timeout | undefined;
    socket.on('close', () => clearTimeout(lineBegun));
    socket.on('drain', throttle);
    socket.on('end', () => {
      if (ending) return;
      if (reader.midLine) refuse(new UsageError('request not ended by a newline when the client closed its side: expected one JSON object per line'));
      else void previous.then(() => socket.destroyed || socket.end());
    });
    socket.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = reader.push(chunk);
      } catch (error) {
        refuse(error);
        return;
      }
      // Timed from the chunk that began the line: one that ended it (and began no other) stops the clock.
      if (!reader.midLine || lines.length > 0) {
        clearTimeout(lineBegun);
        lineBegun = undefined;
      }
      if (reader.midLine && !lineBegun) {
        lineBegun = setTimeout(() => {
          if (reader.midLine && !ending) refuse(new UsageError(`request not ended within ${this.lineWaitMs / 1000} s: expected one JSON object per line, ended by a newline`));
        }, this.lineWaitMs);
      }
      if (lines.length > 0) this.lastRequest.set(socket, Date.now());
      for (const line of lines) {
        underWay++;
        const answer = this.answer(line);
        previous = previous.then(async () => {
          const response = await answer;
          underWay--;
          if (socket.destroyed) return;
          socket.write(encode(response));
          throttle();
        });
      }
      throttle();
    });
  }

  private async answer(line: string): Promise<Response> {
    try {
      return await this.handle(parseRequest(line));
    } catch (error) {
      return failure(error);
    }
  }
}

/**
 * The socket's directory: created 0700, or, when it exists, refused unless it is a real directory
 * owned by this user that nobody else may write (another user could swap the socket for their own).
 */
function prepareDirectory(dir: string): void {
  // The directories above it too: another user who can change one of them could swap the socket's
  // directory for one of theirs while the daemon runs, and answer the hook's bans in its stead.
  let distrust;
  try {
    distrust = distrustOf(dirname(dir));
  } catch (error) {
    throw new OperationalError(`cannot create the socket directory ${dir}: ${(error as Error).message}`);
  }
  if (distrust) throw new OperationalError(`refusing the socket directory ${dir}: ${distrust.path} ${distrust.problem} (${distrust.fix})`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OperationalError(`cannot create the socket directory ${dir}: ${(error as Error).message}`);
  }
  const stats = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!stats.isDirectory()) throw new OperationalError(`socket directory ${dir} is not a directory (a link or a file); remove it, the daemon creates it`);
  if (stats.uid !== uid || (stats.mode & 0o022) !== 0) {
    throw new OperationalError(`socket directory ${dir} is owned by uid ${stats.uid} with mode ${(stats.mode & 0o777).toString(8)}: expected owned by uid ${uid} and writable by it alone (chown ${uid} and chmod 700 it)`);
  }
}

/** A socket left by a daemon that died is removed; one a running daemon answers on is not. */
async function removeStale(path: string): Promise<void> {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return;
  }
  if (!stats.isSocket()) throw new OperationalError(`${path} exists and is not a socket; remove it, the daemon creates it`);
  if (await answers(path)) throw new OperationalError(`another stickyban daemon listens on ${path}; stop it first`);
  unlinkSync(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
