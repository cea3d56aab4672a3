// A spooled ban is written whole or not at all. On a full disk the write of a line can be cut short:
// the hook must then say the ban was not spooled (fail2ban retries it), and leave nothing of the
// line that the next spooled ban would be glued to.

import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { sh } from '../../helpers/cli.js';
import { Netns } from '../../helpers/netns.js';
import { count, query } from '../../helpers/sqlite.js';
import { configuredStore } from '../../helpers/tmp.js';
import { initStore } from '../../helpers/store.js';

/** A small tmpfs on a private mount point, unmounted when the file's tests end (lazily: a failed test may hold a file open there). */
async function smallDisk(): Promise<string> {
  const disk = mkdtempSync(join(tmpdir(), 'stickyban-disk-'));
  await sh('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', disk]);
  after(async () => {
    await sh('umount', ['--lazy', disk]);
    rmdirSync(disk);
  });
  return disk;
}

/** Writes `file` until the disk has no page left. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [65_536, 4096, 1]) {
      const block = Buffer.alloc(size, 0x2e);
      for (;;) {
        try {
          if (writeSync(fd, block) < size) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

test('on a full disk a ban that cannot be spooled whole fails with the truth, leaves no partial line, and the next spooled ban is folded', async () => {
  const netns = await Netns.create();
  const disk = await smallDisk();
  const db = initStore(join(disk, 'stickyban.db'));
  const { config } = configuredStore('busy_timeout = "1s"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  assert.equal((await cli('ban', '192.0.2.1')).code, 0);

  // The store stays locked, so the hook spools: in exclusive locking mode, so the hook cannot even
  // open it, and does not fold (and remove) the spool prepared here before it spools.
  const holder = new Database(db);
  after(() => holder.close());
  holder.pragma('locking_mode = EXCLUSIVE');
  holder.exec('BEGIN EXCLUSIVE');
  holder.prepare("INSERT INTO safelist (family, first, last, address, added_at) VALUES (4, 1, 1, '0.0.0.1', 0)").run();
  // The spool's last page has room for the start of a line only; then no page is left.
  const spool = `${db}.spool`;
  writeFileSync(spool, '\n'.repeat(4096 - 100), { mode: 0o600 });
  fill(join(disk, 'filler'));

  const cut = await cli('ban', '192.0.2.2', '--jail', 'sshd');
  assert.equal(cut.code, 1, cut.stderr);
  assert.match(cut.stderr, /^stickyban: store .* is locked .*; and the ban could not be spooled either: .*stickyban\.db\.spool: only \d+ of \d+ bytes could be written \(is the disk full\?\)\n$/);
  assert.doesNotMatch(cut.stderr, /was spooled/);
  assert.equal(readFileSync(spool, 'utf8').trim(), '', 'nothing of the line is left but blanks');

  unlinkSync(join(disk, 'filler'));
  const spooled = await cli('ban', '192.0.2.3', '--jail', 'sshd');
  assert.equal(spooled.code, 1);
  assert.match(spooled.stderr, /the ban of 192\.0\.2\.3 was spooled to /);
  holder.exec('ROLLBACK');
  holder.close();

  const folded = await cli('restore');
  assert.equal(folded.code, 0, folded.stderr);
  assert.equal(folded.stderr, 'stickyban: folded 1 spooled ban into the store\n');
  assert.deepEqual(query(db, "SELECT address FROM bans WHERE jail = 'sshd'"), [{ address: '192.0.2.3' }]);
  assert.equal(count(db, 'bans'), 2);
  assert.equal(existsSync(`${spool}.bad`), false, 'no line was glued to another and quarantined');
});
