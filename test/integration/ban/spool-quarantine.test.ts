// A spool line is checked as the hook checks its arguments. One that fails (edited by hand, cut
// short, written by something else) is moved to <store>.spool.bad with one warning; it must never
// stop the commands that fold the spool, and the files it came from are released.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { query } from '../../helpers/sqlite.js';
import { tempStore } from '../../helpers/store.js';

let serial = 0;
/** A spool line as the hook writes it, with `fields` replaced (raw JSON text, so 1e20 stays a number). */
function line(address: string, fields: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    uuid: JSON.stringify(`0190b6c4-7d1e-7c3a-9b1e-${(serial++).toString(16).padStart(12, '0')}`),
    origin: '"web-1"',
    address: JSON.stringify(address),
    jail: '"sshd"',
    banned_at: '1795251309',
    bantime: '600',
    source: '"fail2ban"',
    reason: 'null',
    restored: 'false',
    ...fields,
  };
  return `{${Object.entries(values).map(([key, value]) => `"${key}":${value}`).join(',')}}`;
}

/** The pid of a process that has exited: a claim named with it belongs to nobody. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

function spoolFiles(db: string): string[] {
  return readdirSync(dirname(db)).filter((name) => name.startsWith(`${basename(db)}.spool`)).sort();
}

test('bad spool lines are quarantined with one warning; the good ones are folded and every command still works', async () => {
  const netns = await Netns.create();
  const db = tempStore();
  const cli = (...args: string[]) => netns.cli(['--db', db, ...args]);
  assert.equal((await cli('ban', '192.0.2.1')).code, 0);

  const bad = [
    line('192.0.2.30', { banned_at: '1.5' }),
    line('192.0.2.31', { banned_at: '1e20' }),
    line('192.0.2.32', { banned_at: '-1' }),
    line('192.0.2.33', { bantime: '"600"' }),
    line('192.0.2.34', { bantime: '0.5' }),
    line('999.1.1.1'),
    line('0.0.0.0/0'),
    line('192.0.2.35', { jail: '7' }),
    line('192.0.2.36', { jail: '"a b"' }),
    line('192.0.2.37', { source: 'null' }),
    line('192.0.2.38', { reason: '"two\\nlines"' }),
    line('192.0.2.39', { restored: '"yes"' }),
    line('192.0.2.40', { uuid: '"not-a-uuid"' }),
    line('192.0.2.41', { origin: '17' }),
    '{"uuid":"0190b6c4-7d1e-7c3a-9b1e-ffffffffffff","address":"192.0.2.4',
    '[1,2,3]',
  ];
  writeFileSync(`${db}.spool`, [line('192.0.2.20'), ...bad.slice(0, 8), line('2001:db8::20', { restored: 'true', reason: '"flood"' }), ...bad.slice(8), ''].join('\n'));
  // What a drain killed mid-way left behind (an older claim), with a good and a bad line.
  const badLeftover = line('198.51.100.21', { banned_at: '17952513090000000' });
  writeFileSync(`${db}.spool.claimed.${deadPid()}.1795251309000`, `${line('198.51.100.20', { bantime: '-1' })}\n${badLeftover}\n`);

  const written = await cli('safelist', 'add', '203.0.113.0/24');
  assert.equal(written.code, 0, written.stderr);
  const warnings = written.stderr.split('\n').filter(Boolean);
  assert.equal(warnings.length, 2, written.stderr);
  assert.equal(warnings[0], 'stickyban: folded 3 spooled bans into the store');
  assert.equal(
    warnings[1],
    `stickyban: 17 invalid spooled lines moved to ${db}.spool.bad (the first: invalid banned_at 17952513090000000: expected whole seconds since 1970, at most 253402300799 (year 9999)); the bans on the other lines were folded in`,
  );

  assert.deepEqual(
    query(db, "SELECT address, origin, banned_at, bantime, source, reason, restored FROM bans WHERE origin = 'web-1' ORDER BY address"),
    [
      { address: '192.0.2.20', origin: 'web-1', banned_at: 1795251309, bantime: 600, source: 'fail2ban', reason: null, restored: 0 },
      { address: '198.51.100.20', origin: 'web-1', banned_at: 1795251309, bantime: -1, source: 'fail2ban', reason: null, restored: 0 },
      { address: '2001:db8::20', origin: 'web-1', banned_at: 1795251309, bantime: 600, source: 'fail2ban', reason: 'flood', restored: 1 },
    ],
  );
  const quarantined = readFileSync(`${db}.spool.bad`, 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(quarantined, [badLeftover, ...bad], 'each bad line as it was, the older claim first');
  assert.deepEqual(spoolFiles(db), [`${basename(db)}.spool.bad`], 'the spool and the leftover claim are released');

  // Nothing is left to fold: the next commands say nothing about the spool, and they all work.
  for (const args of [['restore'], ['ban', '192.0.2.50'], ['unban', '192.0.2.50'], ['list']]) {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /spool/, args.join(' '));
  }
  assert.equal(readFileSync(`${db}.spool.bad`, 'utf8').split('\n').filter(Boolean).length, 17, 'quarantined once');
});
