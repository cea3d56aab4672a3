// A request begun and never ended is not waited for forever: the connection is told why and closed,
// so a stuck or hostile client does not hold one of the daemon's connections for good. A connection
// idle between requests (fail2ban's action keeps one per jail) stays open.

import assert from 'node:assert/strict';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SocketServer } from '../../../src/daemon/socket/server.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const LINE_WAIT_MS = 300;

function connect(path: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = createConnection(path);
  let text = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('close', () => (closed = true));
  return new Promise((resolve) => socket.once('connect', () => resolve({ socket, received: () => text, closed: () => closed })));
}

test('a line begun and not ended within the wait is refused and its connection closed; an idle one is kept', async () => {
  const server = new SocketServer(join(tempDir(), 'run', 'sb.sock'), async () => ({ ok: true, pid: process.pid }), () => {}, LINE_WAIT_MS);
  await server.start();
  const stuck = await connect(server.path);
  const idle = await connect(server.path);
  const slow = await connect(server.path);
  try {
    stuck.socket.write('{"op":"hea');
    idle.socket.write('{"op":"health"}\n');
    // Ended in pieces, each within the wait but the whole past it: the clock runs from the line's start.
    slow.socket.write('{"op"');
    await until('the stuck connection closed', () => stuck.closed(), 5000);
    assert.match(stuck.received(), /"ok":false/);
    assert.match(stuck.received(), /request not ended within 0\.3 s: expected one JSON object per line, ended by a newline/);
    await until('the slow connection closed', () => slow.closed(), 5000);

    await sleep(LINE_WAIT_MS * 3);
    assert.equal(idle.closed(), false);
    idle.socket.write('{"op":"health"}\n');
    await until('the idle connection answered twice', () => idle.received().split('\n').filter((line) => line.includes('"ok":true')).length === 2, 5000);
  } finally {
    for (const client of [stuck, idle, slow]) client.socket.destroy();
    await server.stop();
  }
});

test('a line ended in time is answered, and the next one gets a wait of its own', async () => {
  const server = new SocketServer(join(tempDir(), 'run', 'sb.sock'), async () => ({ ok: true, pid: process.pid }), () => {}, LINE_WAIT_MS);
  await server.start();
  const client = await connect(server.path);
  try {
    client.socket.write('{"op":');
    await sleep(LINE_WAIT_MS / 2);
    client.socket.write('"health"}\n{"op":');
    await sleep(LINE_WAIT_MS * 0.7);
    client.socket.write('"health"}\n');
    await until('both answered', () => client.received().split('\n').filter((line) => line.includes('"ok":true')).length === 2, 5000);
    assert.equal(client.closed(), false);
  } finally {
    client.socket.destroy();
    await server.stop();
  }
});

test('a client that ends its side mid-line is told so; one that ends it after its requests gets every answer; bytes that are not UTF-8 are refused, not replaced', async () => {
  const server = new SocketServer(join(tempDir(), 'run', 'sb.sock'), async (request) => ({ ok: true, pid: process.pid, op: request.op }), () => {}, LINE_WAIT_MS);
  await server.start();
  const cut = await connect(server.path);
  const done = await connect(server.path);
  const binary = await connect(server.path);
  try {
    cut.socket.end('{"op":"health"}');
    done.socket.end('{"op":"health"}\n{"op":"health"}\n');
    binary.socket.write(Buffer.concat([Buffer.from('{"op":"ban","address":"192.0.2.211","reason":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    await until('the cut connection closed', () => cut.closed(), 5000);
    assert.match(cut.received(), /request not ended by a newline when the client closed its side/);
    await until('both answers, then the close', () => done.closed(), 5000);
    assert.equal(done.received().split('\n').filter((line) => line.includes('"ok":true')).length, 2);
    await until('the binary connection closed', () => binary.closed(), 5000);
    assert.match(binary.received(), /request is not valid UTF-8: expected JSON text in UTF-8/);
  } finally {
    for (const client of [cut, done, binary]) client.socket.destroy();
    await server.stop();
  }
});
