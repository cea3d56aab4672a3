// The daemon's metrics file goes to node_exporter's textfile directory, which may belong to another
// user: what that user puts there must not make root write anywhere else (issue 16, item 2).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeMetrics } from '../../../src/daemon/metrics.js';
import { asNobody, nobodysDir } from '../../helpers/nobody.js';
import { tempDir } from '../../helpers/tmp.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { Netns } from '../../helpers/netns.js';
import { tempStore } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

test("writeMetrics follows no link the directory's owner put where it writes", async () => {
  const victim = join(tempDir(), 'shadow');
  writeFileSync(victim, 'root only\n', { mode: 0o600 });
  const textfiles = nobodysDir('textfile_collector');
  const path = join(textfiles, 'stickyban.prom');
  // The temporary file's name was <file>.<pid>.tmp, and a daemon's pid is public.
  await asNobody('ln -s "$2" "$1.$3.tmp"', path, victim, String(process.pid));
  writeMetrics(path, 'stickyban_addresses 3\n');
  assert.equal(readFileSync(victim, 'utf8'), 'root only\n', 'root wrote nothing through the link');
  assert.equal(readFileSync(path, 'utf8'), 'stickyban_addresses 3\n');
  assert.equal(statSync(path).mode & 0o777, 0o644, 'for node_exporter to read');
  assert.deepEqual(readdirSync(textfiles).sort(), [`stickyban.prom`, `stickyban.prom.${process.pid}.tmp`], 'their link left as it was, nothing of ours left over');
});

test('a metrics directory that goes away is said once, not every interval, and its return too', async () => {
  const netns = await Netns.create();
  const dir = join(tempDir(), 'textfiles');
  mkdirSync(dir);
  await whileDaemonRuns(netns, ['--db', tempStore(), 'daemon', '--heal-interval', '1s', '--metrics-file', join(dir, 'stickyban.prom')], async (running) => {
    await until('the first metrics', () => existsSync(join(dir, 'stickyban.prom')));
    rmSync(dir, { recursive: true });
    await until('the failure said', () => running.log().includes('metrics not written'), 10_000);
    await sleep(3_000);
    assert.equal(running.log().split('metrics not written').length - 1, 1, running.log());
    assert.match(running.log(), /error: metrics not written: cannot write .*stickyban\.prom: directory .*textfiles does not exist/);
    mkdirSync(dir);
    await until('the return said', () => running.log().includes('daemon: metrics written again'), 10_000);
  });
});

test('writeMetrics replaces its own file and nothing else: a file of value at the path (the store, an empty lock file) stays', () => {
  const dir = tempDir();
  const path = join(dir, 'stickyban.prom');
  const metrics = '# HELP stickyban_addresses Addresses.\n# TYPE stickyban_addresses gauge\nstickyban_addresses 3\n';
  writeMetrics(path, metrics);
  writeMetrics(path, metrics.replace(' 3\n', ' 4\n'));
  assert.match(readFileSync(path, 'utf8'), / 4\n$/);
  // An empty file is none of stickyban's (a lock file, say): left as it is.
  const lock = join(dir, 'some.lock');
  writeFileSync(lock, '');
  assert.throws(() => writeMetrics(lock, metrics), /some\.lock is an empty file stickyban did not write, and would be replaced/);
  assert.equal(readFileSync(lock, 'utf8'), '');
  const store = join(dir, 'stickyban.db');
  writeFileSync(store, 'SQLite format 3\0 the store');
  assert.throws(() => writeMetrics(store, metrics), /stickyban\.db holds something else than the metrics stickyban writes, and would be replaced by them/);
  assert.equal(readFileSync(store, 'utf8'), 'SQLite format 3\0 the store');
});
