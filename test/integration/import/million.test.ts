import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { count, query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { importJson, session } from './session.js';

const LINES = 1_000_000;

/** Line i: an invalid address every 100,000 lines, an IPv6 address every 10th, else IPv4; shuffled-looking order. */
function line(i: number): string {
  if (i % 100_000 === 99_999) return `999.0.0.${i % 256}`;
  const n = (i * 2_654_435_761) % 2 ** 32; // a permutation of the 32-bit space: no two lines alike
  if (i % 10 === 3) return `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;
  return `${(n >>> 24) % 100 + 11}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

async function writeList(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < LINES; i += 10_000) {
    let chunk = '';
    for (let j = i; j < i + 10_000; j++) chunk += `${line(j)}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

describe('a million-line list', () => {
  test('imports in one run, reports its invalid lines, and a second run adds nothing', async () => {
    const s = await session();
    const file = join(tempDir(), 'million.txt');
    await writeList(file);
    const invalid = Array.from({ length: LINES / 100_000 }, (_, k) => k * 100_000 + 100_000);
    const distinct = new Set(Array.from({ length: LINES }, (_, i) => line(i)).filter((_, i) => !invalid.includes(i + 1))).size;

    const first = await importJson(s, [file, '--format', 'plain']);
    assert.deepEqual([first.read, first.found, first.added, first.invalid], [LINES, LINES - invalid.length, distinct, invalid.length]);
    assert.deepEqual(first.invalid_lines.map((entry) => entry.line), invalid);
    assert.equal(count(s.db, 'bans'), distinct);
    assert.deepEqual(query(s.db, 'SELECT family, count(*) AS n FROM bans GROUP BY family').map((row) => row.family), [4, 6]);

    const text = await s.run(['import', file, '--format', 'plain']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`: ${LINES} lines read, ${LINES - invalid.length} bans found: 0 added, ${LINES - invalid.length} duplicates, ${invalid.length} invalid\\n`));
    assert.ok(!text.stderr.includes('\r'), 'no progress bar when stderr is a pipe');
    assert.equal(count(s.db, 'bans'), distinct);
    assert.equal((await s.ok(['export'])).split('\n').length - 1, distinct);
  });
});
