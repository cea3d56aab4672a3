// Inputs that are not plain regular files, and lines at the edges of how the input is read.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { cliCommand, runProcess } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { MAX_LINE } from '../../../src/import/lines.js';
import { importJson, session } from './session.js';

/** The read chunk of a file import (input.ts): lines are split a megabyte at a time. */
const CHUNK = 1 << 20;

describe('import inputs', () => {
  test("a pipe: bash's <(zcat …) and a named FIFO are read once, like stdin, with --strict too", async () => {
    const s = await session();
    const dir = tempDir();
    const list = join(dir, 'list.txt.gz');
    writeFileSync(list, gzipSync('198.51.100.1\n198.51.100.2\n'));
    const [file, argv] = cliCommand(['--db', s.db, 'import', '/dev/stdin', '--format', 'plain', '--no-apply', '--strict', '--json'], s.netns.name);
    // The import's argument is a pipe that bash made: `stickyban import <(cat list.txt.gz)`.
    const quoted = [file, ...argv].map((word) => `'${word}'`).join(' ').replace("'/dev/stdin'", `<(cat '${list}')`);
    const piped = await runProcess('bash', ['-c', quoted]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).added, 2);

    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `printf '198.51.100.3\\n198.51.100.1\\n' > '${fifo}'`]);
    const written = new Promise((resolve) => writer.once('exit', resolve));
    const fromFifo = await importJson(s, [fifo, '--format', 'plain', '--no-apply']);
    assert.deepEqual([fromFifo.read, fromFifo.added, fromFifo.duplicates], [2, 1, 1]);
    assert.equal(await written, 0);
  });

  test('gzip on a pipe whose writer gives the first byte alone: still read as gzip', async () => {
    const s = await session();
    const list = join(tempDir(), 'list.txt.gz');
    writeFileSync(list, gzipSync('198.51.100.11\n198.51.100.12\n'));
    const [file, argv] = cliCommand(['--db', s.db, 'import', '-', '--format', 'plain', '--no-apply', '--json'], s.netns.name);
    const quoted = [file, ...argv].map((word) => `'${word}'`).join(' ');
    const piped = await runProcess('bash', ['-c', `(head -c1 '${list}'; sleep 0.5; tail -c +2 '${list}') | ${quoted}`]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).added, 2);
  });

  test('a FIFO whose writer is already waiting: what it writes is read, not lost to a look at the FIFO first', async () => {
    const s = await session();
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `printf '198.51.100.7\\n198.51.100.8\\n' > '${fifo}'`]);
    const written = new Promise((resolve) => writer.once('exit', resolve));
    // The writer is blocked in its open() until a reader comes: a reader that opened and closed the
    // FIFO before reading it would let the writer write into a pipe that is then thrown away.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const imported = await importJson(s, [fifo, '--format', 'plain', '--no-apply']);
    assert.deepEqual([imported.read, imported.added], [2, 2]);
    assert.equal(await written, 0);
  });

  test('an overlong line is invalid wherever it falls, also across the boundary of a read chunk', async () => {
    const s = await session();
    const dir = tempDir();
    // A valid address padded past MAX_LINE, then garbage: cut at MAX_LINE it would read as valid.
    const overlong = `198.51.100.9${' '.repeat(MAX_LINE + 2000)}; garbage`;
    // Puts the overlong line's start MAX_LINE + 900 bytes before the end of the first read chunk, so
    // more than MAX_LINE of it is still unfinished when that chunk is split.
    const first = '198.51.100.1\n';
    const filler = `#${'x'.repeat(CHUNK - (MAX_LINE + 900) - first.length - 2)}\n`;
    const inside = join(dir, 'inside.txt');
    const across = join(dir, 'across.txt');
    writeFileSync(inside, `198.51.100.1\n${overlong}\n198.51.100.2\n`);
    writeFileSync(across, `${first}${filler}${overlong}\n198.51.100.2\n`);
    for (const [file, line] of [[inside, 2], [across, 3]] as const) {
      const result = await importJson(s, [file, '--format', 'plain', '--no-apply']);
      assert.equal(result.invalid, 1, file);
      assert.equal(result.invalid_lines[0]!.line, line);
      assert.match(result.invalid_lines[0]!.error, /too long|longer than/);
    }
    assert.match(await s.ok(['list', '--json']), /198\.51\.100\.2/);
    assert.doesNotMatch(await s.ok(['list', '--json']), /198\.51\.100\.9/);
  });
});
