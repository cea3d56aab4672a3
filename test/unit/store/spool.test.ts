import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, readFileSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { uuidText } from '../../../src/store/ids.js';
import { appendToSpool, claimSpool, releaseSpool, type ClaimedSpool } from '../../../src/store/spool.js';
import { formatSpoolLine, parseSpoolLine } from '../../../src/store/spool-line.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

/** The drains' clock: after every ban of these tests, so none is dated back. */
const NOW = 4_000_000_000;
/** The lockout guard of a host none of these addresses belongs to. */
const NO_LOCKOUT = () => undefined;

/** The pid of a process that has exited. */
const deadPid = (): number => Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());

const ids = (claimed: ClaimedSpool | undefined): string[] => claimed?.events.map((event) => uuidText(event.uuid)) ?? [];

test('a drain that takes the spool over between a hook opening it and writing to it does not lose that ban', () => {
  const db = join(tempDir(), 'stickyban.db');
  const first = banEvent('192.0.2.1');
  const second = banEvent('192.0.2.2');
  appendToSpool(db, first);
  let drained: ClaimedSpool | undefined;
  // The drain renames, reads and releases the file the hook has just opened, before the hook writes.
  appendToSpool(db, second, () => {
    drained = claimSpool(db, NOW, NO_LOCKOUT);
    releaseSpool(drained!);
  });
  assert.deepEqual(ids(drained), [uuidText(first.uuid)], 'the drain read what was there');
  assert.deepEqual(ids(claimSpool(db, NOW, NO_LOCKOUT)), [uuidText(second.uuid)], 'the late write is in the spool for the next drain');
});

test('a new empty spool, a hook\'s between its open and its write, is left to that write; one left empty long ago is taken over and removed', () => {
  const db = join(tempDir(), 'stickyban.db');
  const event = banEvent('192.0.2.3');
  let drained: ClaimedSpool | undefined;
  const landed = appendToSpool(db, event, () => (drained = claimSpool(db, NOW, NO_LOCKOUT)));
  assert.equal(drained, undefined, 'nothing to take over yet');
  assert.equal(landed, `${db}.spool`);
  const claimed = claimSpool(db, NOW, NO_LOCKOUT);
  assert.deepEqual(ids(claimed), [uuidText(event.uuid)]);
  releaseSpool(claimed!);
  // One left empty long ago (a hook that died there) is taken over and removed, not waited on forever.
  writeFileSync(`${db}.spool`, '');
  utimesSync(`${db}.spool`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const stale = claimSpool(db, NOW, NO_LOCKOUT);
  assert.deepEqual(ids(stale), []);
  releaseSpool(stale!);
  assert.equal(existsSync(`${db}.spool`), false);
});

test('a claim left by a drain that died is taken over; one of a drain still running is left to it, not one whose id another process holds by now', () => {
  const db = join(tempDir(), 'stickyban.db');
  const dead = String(deadPid());
  const now = Date.now();
  for (const pid of [dead, String(process.ppid), String(process.pid)]) writeFileSync(`${db}.spool.claimed.${pid}.${now}`, '');
  // Claimed in 1970 by a process of this id: the one running now started long after.
  writeFileSync(`${db}.spool.claimed.${process.ppid}.1000`, '');
  writeFileSync(`${db}.spool.claimed.not-a-claim`, '');
  const claimed = claimSpool(db, NOW, NO_LOCKOUT)!.files.map((file) => basename(file));
  assert.deepEqual(claimed.sort(), [`stickyban.db.spool.claimed.${dead}.${now}`, `stickyban.db.spool.claimed.${process.pid}.${now}`, `stickyban.db.spool.claimed.${process.ppid}.1000`].sort());
});

test('a spool is read in bounded lines: a line longer than a hook writes is refused whole, a cut line takes no other with it; bad lines are quarantined on release', () => {
  const db = join(tempDir(), 'stickyban.db');
  const events = [banEvent('192.0.2.1'), banEvent('192.0.2.2')];
  appendToSpool(db, events[0]!);
  appendFileSync(`${db}.spool`, `${'x'.repeat(100_000)}\n\n   \n{"uuid":`);
  // Each line starts with a newline of its own: not glued to the cut one before it.
  appendToSpool(db, events[1]!);
  const claimed = claimSpool(db, NOW, NO_LOCKOUT)!;
  assert.deepEqual(ids(claimed), events.map((event) => uuidText(event.uuid)));
  assert.deepEqual([claimed.rejected, claimed.withRejected], [2, claimed.files], 'the long line and the cut one');
  assert.match(claimed.problem!, /a line longer than 4096 bytes/);
  assert.equal(existsSync(claimed.quarantine), false, 'nothing quarantined before the release');
  assert.deepEqual(releaseSpool(claimed), { kept: undefined });
  assert.equal(readFileSync(claimed.quarantine, 'utf8'), `${'x'.repeat(4096)}…\n{"uuid":\n`);
  assert.equal(existsSync(claimed.files[0]!), false);
});

test('the spool, a claimed spool file and the quarantine are never opened through a link', () => {
  const db = join(tempDir(), 'stickyban.db');
  const target = join(tempDir(), 'root-only');
  writeFileSync(target, 'root only\n', { mode: 0o600 });
  symlinkSync(target, `${db}.spool`);
  assert.throws(() => appendToSpool(db, banEvent('192.0.2.1')), { code: 'ELOOP' });
  assert.equal(readFileSync(target, 'utf8'), 'root only\n', 'no ban appended to the link target');
  unlinkSync(`${db}.spool`);

  // What the link points at is neither read (its lines would go to the quarantine) nor folded. (A
  // claim of a drain that died, or it would be left to that drain.)
  const link = `${db}.spool.claimed.${deadPid()}.1`;
  symlinkSync(target, link);
  const claimed = claimSpool(db, NOW, NO_LOCKOUT);
  assert.deepEqual([claimed?.events.length, claimed?.rejected], [0, 0]);
  assert.equal(existsSync(`${db}.spool.bad`), false);
  releaseSpool(claimed!);
  assert.equal(readFileSync(target, 'utf8'), 'root only\n', 'the link was removed, not its target');
  assert.throws(() => lstatSync(link), { code: 'ENOENT' });

  writeFileSync(`${db}.spool`, 'not a spool line\n', { mode: 0o600 });
  symlinkSync(target, `${db}.spool.bad`);
  try {
    releaseSpool(claimSpool(db, NOW, NO_LOCKOUT)!);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ELOOP');
  }
  assert.equal(readFileSync(target, 'utf8'), 'root only\n', 'the unreadable line was not quarantined through the link');
});

test('a replay without its time keeps saying so through the spool: a lift of its block counts as later than it', () => {
  const replay = { ...banEvent('192.0.2.7'), restored: true, timeUnknown: true };
  const line = formatSpoolLine(replay);
  assert.match(line, /"time_unknown":true/);
  assert.equal(parseSpoolLine(line).event.timeUnknown, true);
  assert.doesNotMatch(formatSpoolLine(banEvent('192.0.2.8')), /time_unknown/, 'a ban whose time is known writes no such field');
  assert.equal(parseSpoolLine(formatSpoolLine(banEvent('192.0.2.8'))).event.timeUnknown, undefined);
  assert.throws(() => parseSpoolLine(line.replace('"time_unknown":true', '"time_unknown":1')), /^UsageError: invalid time_unknown 1: expected true, or no such field$/);
});

test('a spooled ban dated after the drain (the clock stepped back since the hook wrote it) is dated at the drain; one before it keeps its time', () => {
  const db = join(tempDir(), 'stickyban.db');
  const early = { ...banEvent('192.0.2.1'), bannedAt: 1_765_000_000 };
  const late = { ...banEvent('192.0.2.2'), bannedAt: 1_765_000_900 };
  appendToSpool(db, early);
  appendToSpool(db, late);
  const claimed = claimSpool(db, 1_765_000_500, NO_LOCKOUT)!;
  assert.deepEqual(claimed.events.map((event) => event.bannedAt), [1_765_000_000, 1_765_000_500]);
  assert.deepEqual(claimed.events.map((event) => uuidText(event.uuid)), [uuidText(early.uuid), uuidText(late.uuid)]);
});

test("a spooled line is held to the hook's lockout guard unless the hook was told --force; a field the hook does not write refuses the line", () => {
  const db = join(tempDir(), 'stickyban.db');
  const own = banEvent('10.98.0.1');
  appendToSpool(db, own);
  const forced = { ...banEvent('10.98.0.1'), jail: 'recidive' };
  appendToSpool(db, forced, undefined, true);
  appendFileSync(`${db}.spool`, `${formatSpoolLine(banEvent('192.0.2.9')).replace(/}$/, ',"extra":1}')}\n`);
  const guard = (network: { first: number | bigint }) => (network.first === 0x0a620001 ? 'refusing to ban 10.98.0.1: it is an address of this host (lo)' : undefined);
  const claimed = claimSpool(db, NOW, guard)!;
  assert.deepEqual(ids(claimed), [uuidText(forced.uuid)], 'the forced one only');
  assert.equal(claimed.rejected, 2);
  assert.equal(claimed.problem, 'refusing to ban 10.98.0.1: it is an address of this host (lo)');
  releaseSpool(claimed);
  assert.match(readFileSync(claimed.quarantine, 'utf8'), /"extra":1/);
});
