// A process told by its identity, not its id alone: the kernel hands ids out again, and an id of
// another pid namespace names another process here. Read from the real /proc.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { ownIdentity, ranSince, stillRuns } from '../../../src/exec/pid.js';

test('this process runs as itself; the same id with another start or another pid namespace is not it', () => {
  const own = ownIdentity();
  assert.equal(own.pid, process.pid);
  assert.equal(stillRuns(own), true);
  assert.equal(stillRuns({ ...own, startTicks: own.startTicks - 1 }), false, 'an earlier holder of the id');
  assert.equal(stillRuns({ ...own, pidNs: own.pidNs + 1 }), false, 'an id of another namespace');
});

test('a process that ended is gone, whatever its identity said', async () => {
  const child = spawn('sleep', ['30']);
  await once(child, 'spawn');
  const stat = spawnSync('cat', [`/proc/${child.pid}/stat`], { encoding: 'utf8' }).stdout;
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const identity = { pid: child.pid!, pidNs: ownIdentity().pidNs, startTicks };
  assert.equal(stillRuns(identity), true);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(stillRuns(identity), false);
});

test('ranSince: a process that runs and had started by then; one started after is another holder of the id', () => {
  assert.equal(ranSince(process.pid, Date.now()), true);
  assert.equal(ranSince(process.pid, Date.now() - 3_600_000 * 24 * 365 * 30), false, 'started decades after the claim');
  const gone = spawnSync('true').pid!;
  assert.equal(ranSince(gone, Date.now()), false);
});
