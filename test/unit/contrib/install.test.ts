import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { unitsToEnable } from '../../../src/contrib/files.js';
import { decide } from '../../../src/contrib/install.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('decide treats contrib files like dpkg conffiles', () => {
  const shipped = Buffer.from('new version');
  assert.equal(decide(shipped, undefined, undefined), 'installed');
  assert.equal(decide(shipped, Buffer.from('new version'), sha('old version')), 'unchanged');
  assert.equal(decide(shipped, Buffer.from('old version'), sha('old version')), 'updated', 'ours and untouched: update');
  assert.equal(decide(shipped, Buffer.from('edited'), sha('old version')), 'kept-edited', 'edited by the admin: keep');
  assert.equal(decide(shipped, Buffer.from('theirs'), undefined), 'kept-edited', 'never installed by us: keep');
});

test('one of the daemon, the prune timer or the cron file prunes: never two', () => {
  assert.deepEqual(unitsToEnable({}), { enable: ['stickyban-restore.service', 'stickyban.service'], disable: ['stickyban-prune.timer'] });
  assert.deepEqual(unitsToEnable({ daemon: false }), { enable: ['stickyban-restore.service', 'stickyban-prune.timer'], disable: ['stickyban.service'] });
  assert.deepEqual(unitsToEnable({ cron: true }), { enable: ['stickyban-restore.service'], disable: ['stickyban.service', 'stickyban-prune.timer'] });
});
