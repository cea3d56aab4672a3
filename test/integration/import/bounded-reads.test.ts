// Every read of an import is bounded in memory and in time, whatever it is given: a pipe or a device
// instead of a file, a gzip bomb, a database that is only dressed as fail2ban's. Each run here is
// killed if it outlives its deadline, and its peak memory is measured (GNU time).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { cliCommand, runProcess } from '../../helpers/cli.js';
import { ownIdentity } from '../../../src/exec/pid.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { session, type Session } from './session.js';
import { initStore } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly peakMiB: number;
  readonly seconds: number;
}

const GiB = 1024 ** 3;

/**
 * Runs `stickyban --db <db> <args>` in the session's namespace under GNU time, fed by `stdin` (a
 * shell redirection or pipeline: `< file`, `cat x |`); kills it after `deadlineMs`. Its temporary
 * directory is one of the test's own, which must be empty again afterwards.
 */
async function run(s: Session, args: readonly string[], options: { stdin?: string; deadlineMs: number }): Promise<Run> {
  const tmp = tempDir();
  const result = await runIn(s, args, options, tmp);
  assert.deepEqual(readdirSync(tmp), [], 'the private copies are removed');
  return result;
}

function runIn(s: Session, args: readonly string[], options: { stdin?: string; deadlineMs: number }, tmp: string): Promise<Run> {
  const [file, argv] = cliCommand(['--db', s.db, ...args]);
  const timed = ['/usr/bin/time', '-f', 'peak %M', file, ...argv].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const line = options.stdin?.endsWith('|') ? `${options.stdin} ${timed}` : `${timed} ${options.stdin ?? '< /dev/null'}`;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('ip', ['netns', 'exec', s.netns.name, 'sh', '-c', line], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC', TMPDIR: tmp }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.deadlineMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const peak = /^peak (\d+)$/m.exec(stderr);
      resolve({
        code,
        stdout,
        stderr: stderr.replace(/^peak \d+\n/m, '').replace(/^Command exited with non-zero status \d+\n/m, ''),
        peakMiB: peak ? Number(peak[1]) / 1024 : Number.NaN,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
  });
}

/** A gzip stream of `size` bytes: `head`, then zeros; members of 64 MiB of zeros concatenated, so it is built in a moment. */
function gzipBomb(file: string, size: number, head = Buffer.alloc(0)): void {
  const block = 64 * 1024 * 1024;
  const zeros = gzipSync(Buffer.alloc(block));
  const members = [gzipSync(Buffer.concat([head, Buffer.alloc(block - head.length)]))];
  for (let done = block; done < size; done += block) members.push(zeros);
  writeFileSync(file, Buffer.concat(members));
}

/** A database only dressed as fail2ban's: `bans` is a view over an endless recursive query, with a column named rowid. */
function endlessViewDb(file: string): void {
  const db = new Database(file);
  db.exec(`CREATE VIEW bans AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)
           SELECT x AS rowid, 'sshd' AS jail, '192.0.2.1' AS ip, 1795251309 + x AS timeofban, 600 AS bantime FROM n`);
  db.close();
}

describe('import reads are bounded', () => {
  test('a fail2ban database whose bans is a view (an endless recursive one) is refused at once, from a file and from stdin', async () => {
    const s = await session();
    const fake = join(tempDir(), 'fake.sqlite3');
    endlessViewDb(fake);
    for (const [args, stdin] of [[[fake], undefined], [['-'], `< '${fake}'`]] as const) {
      const result = await run(s, ['import', ...args, '--format', 'fail2ban-db', '--no-apply'], { stdin, deadlineMs: 20_000 });
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /^stickyban: .* is not a fail2ban database: its bans is a view, not a table \(fail2ban's dbfile is usually \/var\/lib\/fail2ban\/fail2ban\.sqlite3\)\n$/);
      assert.ok(result.seconds < 10, `took ${result.seconds} s`);
    }
    assert.equal(count(s.db, 'bans'), 0, 'nothing written');
  });

  test('/dev/zero as a fail2ban database, named or as stdin, is refused at once: not an SQLite file', async () => {
    const s = await session();
    for (const [args, stdin] of [[['/dev/zero'], undefined], [['-'], '< /dev/zero']] as const) {
      const result = await run(s, ['import', ...args, '--format', 'fail2ban-db', '--no-apply'], { stdin, deadlineMs: 20_000 });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^stickyban: (\/dev\/zero|stdin) is not a fail2ban database: it is not an SQLite file\n$/);
      assert.ok(result.seconds < 10, `took ${result.seconds} s`);
    }
  });

  test('a gzip bomb piped in (2 GiB of content) is refused past 1 GiB, in bounded memory, with --strict and as a fail2ban database', async () => {
    const s = await session();
    const dir = tempDir();
    const plain = join(dir, 'zeros.gz');
    const sqlite = join(dir, 'sqlite.gz');
    gzipBomb(plain, 2 * GiB);
    gzipBomb(sqlite, 2 * GiB, Buffer.from('SQLite format 3\0'));
    for (const [bomb, format] of [[plain, ['plain', '--strict']], [sqlite, ['fail2ban-db']]] as const) {
      const result = await run(s, ['import', '-', '--format', ...format, '--no-apply'], { stdin: `cat '${bomb}' |`, deadlineMs: 120_000 });
      assert.equal(result.code, 2, `${format[0]}: ${result.stderr}`);
      assert.match(result.stderr, /^stickyban: cannot read stdin: it holds more than 1 GiB, the most stickyban reads from a pipe, a device or a compressed file\n$/, format[0]);
      assert.ok(result.peakMiB < 300, `${format[0]}: peak ${result.peakMiB} MiB`);
    }
    assert.equal(count(s.db, 'bans'), 0, 'nothing written');
  });

  test('/dev/zero given to a plain import is read to the limit, not forever', async () => {
    const s = await session();
    const result = await run(s, ['import', '/dev/zero', '--format', 'plain', '--no-apply'], { deadlineMs: 120_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^stickyban: reading \/dev\/zero failed after line 1: it holds more than 1 GiB, the most stickyban reads from a pipe, a device or a compressed file; 0 new bans from the lines before were imported\n$/);
    assert.ok(result.peakMiB < 300, `peak ${result.peakMiB} MiB`);
  });

  test('a FIFO that nothing writes to is given up on, not waited for forever', async () => {
    const s = await session();
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const result = await run(s, ['import', fifo, '--format', 'plain', '--no-apply'], { deadlineMs: 60_000 });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^stickyban: cannot read ".*fifo": nothing opened this FIFO for writing within 10 s; expected a file, or a pipe that something writes to\n$/);
    assert.equal(count(s.db, 'bans'), 0);
  });
});

test('an import interrupted (Ctrl-C, a TERM) while it reads stdin into its private copy: the next import removes what it left, not what a live one holds', async () => {
  const db = initStore(join(tempDir(), 'stickyban.db'));
  const tmp = tempDir();
  // A directory as a live process (this test's) names its own: not to be touched.
  const { pid, pidNs, startTicks } = ownIdentity();
  const alive = join(tmp, `stickyban-import-${pid}-${pidNs}-${startTicks}-abcdef`);
  mkdirSync(alive, { mode: 0o700 });
  writeFileSync(join(alive, 'input'), 'in use\n');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const [file, argv] = cliCommand(['--db', db, 'import', '-', '--format', 'plain', '--strict', '--no-apply']);
    const child = spawn(file, argv, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, killed) => resolve(killed)));
    // Lines, and the pipe left open: the import waits for the rest, its copy half written.
    child.stdin.write('198.51.100.1\n'.repeat(1000));
    await until('the private copy', () => readdirSync(tmp).length === 2);
    child.kill(signal);
    assert.equal(await exited, signal, 'it ends as the signal ends it, at once');
    child.stdin.destroy();
    assert.equal(readdirSync(tmp).length, 2, 'its copy is left: nothing runs when a signal ends a process');
    const next = await runProcess(...cliCommand(['--db', db, 'import', '-', '--format', 'plain', '--strict', '--no-apply']), { env: { TMPDIR: tmp }, input: '198.51.100.2\n' });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(readdirSync(tmp), [basename(alive)], `${signal}: the next import removed what the one ended left, and nothing of its own`);
  }
  assert.equal(readFileSync(join(alive, 'input'), 'utf8'), 'in use\n');
});
