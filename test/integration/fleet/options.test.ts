// The fleet's URIs given on the command line are checked as the config's are, and before anything
// is written: a fleet-wide change that cannot go anywhere leaves the local store as it was.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { runCli } from '../../helpers/cli.js';
import { count } from '../../helpers/sqlite.js';
import { configuredNewStore } from '../../helpers/store.js';

test('--fleet without a fleet, or a --fleet-url that is no PostgreSQL URI: exit 2, nothing lifted or safelisted', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  assert.equal((await cli('ban', '198.51.100.7', '198.51.100.8')).code, 0);
  const lifted = () => count(db, 'bans', 'lifted_at IS NOT NULL');
  for (const [args, said] of [
    [['unban', '198.51.100.7', '198.51.100.8', '--fleet'], /^stickyban: no fleet is configured: set url in the \[fleet\] section of the config file \(see README, "Fleet"\), or give --fleet-url\n$/],
    [['unban', '198.51.100.7', '--fleet-url', 'http://nope'], /^stickyban: invalid --fleet-url "http:\/\/nope": it must be a PostgreSQL connection URI such as postgresql:\/\/stickyban_web1@db\.example\.net\/stickyban\n$/],
    [['safelist', 'add', '203.0.113.5', '--fleet'], /^stickyban: no fleet is configured/],
    [['safelist', 'remove', '203.0.113.5', '--fleet-url', 'mysql://x'], /^stickyban: invalid --fleet-url "mysql:\/\/x"/],
    [['safelist', 'add', '203.0.113.5', '--fleet-url', 'postgresql://db/x?sslrootcert=/dev/zero'], /^stickyban: invalid --fleet-url .*: it names a file by sslrootcert, which is not read from a URI: give a CA as \[fleet\] ca_file/],
  ] as const) {
    const result = await cli(...args);
    assert.deepEqual([result.code, result.stdout], [2, ''], `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, said);
  }
  assert.equal(lifted(), 0);
  assert.equal(count(db, 'safelist'), 0);
});

test('fleet init and add-host check --url first; add-host leaves no password file behind when it fails', async () => {
  const { dir, config } = configuredNewStore('');
  const passwordFile = join(dir, 'web1.pw');
  const notAUri = await runCli(['--config', config, 'fleet', 'add-host', 'web1', '--url', 'notaurl', '--password-file', passwordFile]);
  assert.deepEqual([notAUri.code, notAUri.stderr], [2, 'stickyban: invalid --url "notaurl": it must be a PostgreSQL connection URI such as postgresql://stickyban_web1@db.example.net/stickyban\n']);
  assert.equal(existsSync(passwordFile), false);
  const unreachable = await runCli(['--config', config, 'fleet', 'add-host', 'web1', '--url', 'postgresql://stickyban@127.0.0.1:1/stickyban', '--password-file', passwordFile]);
  assert.equal(unreachable.code, 1, unreachable.stderr);
  assert.equal(existsSync(passwordFile), false, 'no password was made for any role');
  // A password file that is no new file: one line, exit 2, before the database is asked.
  const taken = join(dir, 'taken.pw');
  writeFileSync(taken, 'the admin\'s\n');
  for (const [path, said] of [
    ['', 'stickyban: invalid --password-file "": expected the path of a new file\n'],
    [taken, `stickyban: invalid --password-file "${taken}": it exists already; expected the path of a new file (the password is written once)\n`],
  ] as const) {
    const result = await runCli(['--config', config, 'fleet', 'add-host', 'web1', '--url', 'postgresql://stickyban@127.0.0.1:1/stickyban', '--password-file', path]);
    assert.deepEqual([result.code, result.stderr], [2, said]);
  }
  assert.equal(readFileSync(taken, 'utf8'), 'the admin\'s\n');
  const init = await runCli(['--config', config, 'fleet', 'init', '--url', 'postgresql://db/x?sslkey=/root/key']);
  assert.equal(init.code, 2);
  assert.match(init.stderr, /^stickyban: invalid --url .*: it names a file by sslkey/);
  // The config's url the same way.
  writeFileSync(config, '[fleet]\nurl = "postgresql://db/x?sslcert=/tmp/cert.fifo"\n');
  const status = await runCli(['--config', config, 'fleet', 'status']);
  assert.equal(status.code, 2);
  assert.match(status.stderr, /"fleet\.url" names a file by sslcert/);
});
