// Talking to the daemon from a command: one request, one answer. Small on purpose: the ban hook
// loads it (never the server), and a daemon that is absent, dead or silent is told apart from one
// that answered, so the command can do the work itself instead.

import { createConnection } from 'node:net';
import { MAX_LINE_BYTES, type Response } from './protocol.js';
import { socketDistrust } from './trust.js';

/** `refused`: the socket was not asked, as another user could have put it there (trust.ts). */
export type Reply = { readonly answered: true; readonly response: Response } | { readonly answered: false; readonly why: string; readonly refused?: true };

/**
 * Sends one request and waits for its answer: `connectMs` to be accepted (a daemon that is there
 * accepts at once), then `answerMs` for the answer (a ban waits for its commit).
 */
export function ask(path: string, request: object, { connectMs = 1000, answerMs = 10_000 } = {}): Promise<Reply> {
  const distrust = socketDistrust(path);
  if (distrust !== undefined) return Promise.resolve({ answered: false, why: `not asking the socket: ${distrust}`, refused: true });
  return new Promise((resolve) => {
    let settled = false;
    const done = (reply: Reply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const socket = createConnection(path);
    let timer = setTimeout(() => done({ answered: false, why: `no connection to ${path} within ${connectMs} ms` }), connectMs);
    let received = '';
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => done({ answered: false, why: `no answer from the daemon on ${path} within ${answerMs} ms` }), answerMs);
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\n');
      if (end < 0) {
        if (received.length > MAX_LINE_BYTES) done({ answered: false, why: `the answer on ${path} is too long` });
        return;
      }
      try {
        done({ answered: true, response: JSON.parse(received.slice(0, end)) as Response });
      } catch {
        done({ answered: false, why: `the answer on ${path} is not JSON` });
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done({ answered: false, why: `${path}: ${error.code ?? error.message}` }));
    socket.once('close', () => done({ answered: false, why: `the daemon on ${path} closed the connection without an answer` }));
  });
}
