import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import type { BanEvent } from '../../../src/store/bans.js';
import { uuidText, uuidv7 } from '../../../src/store/ids.js';
import { appendToSpool, claimSpool, releaseSpool } from '../../../src/store/spool.js';
import { tempDir } from '../../helpers/tmp.js';

const event = (address: string): BanEvent => ({
  uuid: uuidv7(),
  origin: 'test',
  network: parseNetwork(address),
  jail: 'sshd',
  bannedAt: 1_790_000_000,
  bantime: 600,
  source: 'fail2ban',
  reason: null,
  restored: false,
});

test('a drain that takes the spool over between a hook opening it and writing to it does not lose that ban', () => {
  const db = join(tempDir(), 'stickyban.db');
  const first = event('192.0.2.1');
  const second = event('192.0.2.2');
  appendToSpool(db, first);
  let drained: ReturnType<typeof claimSpool>;
  // The drain renames and reads the file the hook has just opened, before the hook writes.
  appendToSpool(db, second, () => (drained = claimSpool(db)));
  assert.deepEqual(drained!.events.map((e) => uuidText(e.uuid)), [uuidText(first.uuid)], 'the drain read what was there');
  releaseSpool(drained!);
  const next = claimSpool(db);
  assert.deepEqual(next?.events.map((e) => uuidText(e.uuid)), [uuidText(second.uuid)], 'the late write is in the spool for the next drain');
});
