// A regular file is read again (--strict's write pass) from the descriptor its check read: a file
// moved over its name in between (a log rotated, a file replaced) is not what gets written.

import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openInput } from '../../../src/import/input.js';
import { tempDir } from '../../helpers/tmp.js';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let all = '';
  for await (const chunk of stream) all += chunk.toString();
  return all;
}

test('a regular file opened again reads the same file from its start, even when another took its name', async () => {
  const dir = tempDir();
  const path = join(dir, 'list.txt');
  writeFileSync(path, '198.51.100.1\n198.51.100.2\n');
  const input = await openInput(path);
  try {
    assert.equal(await text(input.open()), '198.51.100.1\n198.51.100.2\n');
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'NOT-AN-ADDRESS\n');
    renameSync(other, path);
    assert.equal(await text(input.open()), '198.51.100.1\n198.51.100.2\n', 'the second pass reads what the first checked');
  } finally {
    input.close();
  }
});
