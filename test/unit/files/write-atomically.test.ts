import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomically } from '../../../src/files/write-atomically.js';
import { tempDir } from '../../helpers/tmp.js';

test('writes the whole file with its mode, through a new hidden file of an unpredictable name, private until complete', () => {
  const dir = tempDir();
  const path = join(dir, 'stickyban.prom');
  const temps: string[] = [];
  for (const text of ['first\n', 'second\n']) {
    writeFileAtomically(path, text, 0o644, {
      written: (temp) => {
        temps.push(basename(temp));
        assert.equal(statSync(temp).mode & 0o777, 0o600, 'nobody else may open it while it is written');
        assert.equal(readFileSync(temp, 'utf8'), text, 'complete before it takes its mode');
      },
    });
    assert.equal(readFileSync(path, 'utf8'), text);
    assert.equal(statSync(path).mode & 0o777, 0o644);
  }
  assert.match(temps[0]!, /^\.stickyban\.prom\.[0-9a-f]{16}\.tmp$/);
  assert.notEqual(temps[0], temps[1], 'a name no one can plant a link at beforehand');
  assert.deepEqual(readdirSync(dir), ['stickyban.prom'], 'nothing left beside it');
});

test('a link at the target is replaced, never written through', () => {
  const dir = tempDir();
  const victim = join(tempDir(), 'victim');
  writeFileSync(victim, 'root only\n', { mode: 0o600 });
  const path = join(dir, 'stickyban.prom');
  symlinkSync(victim, path);
  writeFileAtomically(path, 'metrics\n', 0o644);
  assert.equal(readFileSync(victim, 'utf8'), 'root only\n');
  assert.equal(statSync(victim).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8'), 'metrics\n');
});

test('a write that fails leaves nothing behind and says why', () => {
  const dir = tempDir();
  const path = join(dir, 'taken');
  mkdirSync(path);
  writeFileSync(join(path, 'inside'), '');
  assert.throws(() => writeFileAtomically(path, 'data', 0o644), { code: 'EISDIR' });
  assert.deepEqual(readdirSync(dir), ['taken']);
});

test('a directory that is not there is named, not the temporary file (a repeated failure says the same each time)', () => {
  const path = join(tempDir(), 'gone', 'stickyban.prom');
  assert.throws(() => writeFileAtomically(path, 'data', 0o644), { message: `cannot write ${path}: directory ${join(path, '..')} does not exist` });
});
