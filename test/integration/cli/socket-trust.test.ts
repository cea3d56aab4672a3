// A socket another user put at the daemon's path is never asked: it could answer "banned" for a
// ban it threw away, and would read every request. The ban is recorded and made live by the
// command itself, and doctor fails the setup.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../../helpers/daemon.js';
import { Netns } from '../../helpers/netns.js';
import { NOBODY, nobodysDir } from '../../helpers/nobody.js';
import { count } from '../../helpers/sqlite.js';
import { configuredNewStore } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

/** Answers every request as the daemon would a ban it recorded, and counts what it was asked. */
const FAKE_DAEMON = `const net = require('node:net');
net.createServer((c) => c.on('data', () => { process.stdout.write('asked\\n'); c.write(JSON.stringify({ ok: true, message: 'banned', recorded: true }) + '\\n'); })).listen(process.argv[1]);`;

test("a socket another user put at the daemon's path is not asked: the command records the ban itself, doctor fails it", async () => {
  const netns = await Netns.create();
  const theirs = nobodysDir('run');
  const socket = join(theirs, 'stickyban.sock');
  const { db, config } = configuredNewStore('');
  const fake = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', FAKE_DAEMON, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  let asked = '';
  fake.stdout!.on('data', (chunk: Buffer) => (asked += chunk.toString()));
  try {
    await until('the fake daemon to listen', () => existsSync(socket));
    const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args], { env: { STICKYBAN_SOCKET: socket } });
    assert.equal((await cli('restore')).code, 0);
    const banned = await cli('ban', '198.51.100.99');
    assert.equal(banned.code, 0, banned.stderr);
    assert.match(banned.stderr, /not asking the socket: .*\/run is owned by uid 65534, not root; recording the ban here/);
    assert.equal(count(db, 'bans'), 1, 'recorded by the command');
    assert.match(await netns.exec('ipset', ['list', 'stickyban4']), /^198\.51\.100\.99$/m);
    const doctor = await cli('doctor');
    assert.match(doctor.stdout, /FAIL\s+daemon: not asking the socket: .* another user could answer in the daemon's stead/);
    assert.equal(asked, '', 'the fake was never asked');
  } finally {
    fake.kill();
  }
});

test('the daemon refuses a socket directory under one another user can change: they could swap it while it runs', async () => {
  const netns = await Netns.create();
  const socket = join(nobodysDir('pub'), 'run', 'stickyban.sock');
  const { db, config } = configuredNewStore('');
  const daemon = startDaemon(netns, ['--db', db, '--config', config, 'daemon'], { STICKYBAN_SOCKET: socket });
  assert.equal(await daemon.exited, 1);
  assert.match(daemon.log(), /refusing the socket directory .*\/pub\/run: .*\/pub is owned by uid 65534, not root \(chown root /);
  assert.equal(existsSync(dirname(socket)), false, 'nothing made under it');
});
