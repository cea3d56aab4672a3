import assert from 'node:assert/strict';
import { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { uuidText } from '../../../src/store/ids.js';
import { appendToSpool, claimSpool, releaseSpool } from '../../../src/store/spool.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

test('a drain that takes the spool over between a hook opening it and writing to it does not lose that ban', () => {
  const db = join(tempDir(), 'stickyban.db');
  const first = banEvent('192.0.2.1');
  const second = banEvent('192.0.2.2');
  appendToSpool(db, first);
  let drained: ReturnType<typeof claimSpool>;
  // The drain renames and reads the file the hook has just opened, before the hook writes.
  appendToSpool(db, second, () => (drained = claimSpool(db)));
  assert.deepEqual(drained!.events.map((e) => uuidText(e.uuid)), [uuidText(first.uuid)], 'the drain read what was there');
  releaseSpool(drained!);
  const next = claimSpool(db);
  assert.deepEqual(next?.events.map((e) => uuidText(e.uuid)), [uuidText(second.uuid)], 'the late write is in the spool for the next drain');
});

test('the spool, a claimed spool file and the quarantine are never opened through a link', () => {
  const db = join(tempDir(), 'stickyban.db');
  const target = join(tempDir(), 'root-only');
  writeFileSync(target, 'root only\n', { mode: 0o600 });
  symlinkSync(target, `${db}.spool`);
  assert.throws(() => appendToSpool(db, banEvent('192.0.2.1')), { code: 'ELOOP' });
  assert.equal(readFileSync(target, 'utf8'), 'root only\n', 'no ban appended to the link target');
  unlinkSync(`${db}.spool`);

  // What the link points at is neither read (its lines would go to the quarantine) nor folded.
  symlinkSync(target, `${db}.spool.claimed.1.1`);
  const claimed = claimSpool(db);
  assert.deepEqual([claimed?.events.length, claimed?.rejected], [0, 0]);
  assert.equal(existsSync(`${db}.spool.bad`), false);
  releaseSpool(claimed!);
  assert.equal(readFileSync(target, 'utf8'), 'root only\n', 'the link was removed, not its target');

  writeFileSync(`${db}.spool`, 'not a spool line\n', { mode: 0o600 });
  symlinkSync(target, `${db}.spool.bad`);
  try {
    releaseSpool(claimSpool(db)!);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ELOOP');
  }
  assert.equal(readFileSync(target, 'utf8'), 'root only\n', 'the unreadable line was not quarantined through the link');
});
