// A client that sends requests without reading the answers is not read on: before, the daemon read
// on and kept every answer for it (a probe grew the daemon from 68 to 666 MB in 8 s).

import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SocketServer } from '../../../src/daemon/socket/server.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const REQUESTS = 200_000;

test('a client that does not read its answers is not read on, and gets them all once it reads', async () => {
  let handled = 0;
  const server = new SocketServer(join(tempDir(), 'run', 'sb.sock'), async () => {
    handled++;
    return { ok: true, pid: process.pid, padding: 'x'.repeat(200) };
  }, () => {});
  await server.start();
  const client = createConnection(server.path);
  try {
    await new Promise((connected) => client.once('connect', connected));
    client.pause();
    const request = '{"op":"health"}\n';
    client.write(request.repeat(REQUESTS));
    // The client sends on as the kernel lets it; the server stops once its answers go unread.
    await sleep(1500);
    assert.ok(handled < REQUESTS / 20, `${handled} of ${REQUESTS} answered while nobody read them`);
    let answers = 0;
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => {
      for (const char of chunk) if (char === '\n') answers++;
    });
    client.resume();
    await until('every answer, once read', () => answers === REQUESTS, 30_000);
    assert.equal(handled, REQUESTS);
  } finally {
    client.destroy();
    await server.stop();
  }
});
