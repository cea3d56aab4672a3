import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { distrustOf } from '../../../src/files/trusted-dir.js';
import { tempDir } from '../../helpers/tmp.js';

const NOBODY = 65534;

/** A root-owned 0755 directory to build paths in (tempDir is 0700, fine for root). */
function base(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  return dir;
}

function dir(path: string, mode = 0o755, uid = 0): string {
  mkdirSync(path);
  chmodSync(path, mode);
  chownSync(path, uid, uid);
  return path;
}

describe('distrustOf', () => {
  test('trusts a path of directories only root may change; sticky ones on the way, as /tmp', () => {
    assert.equal(distrustOf('/'), undefined);
    const sticky = dir(join(base(), 'tmp'), 0o1777);
    assert.equal(distrustOf(dir(join(sticky, 'store'), 0o700)), undefined);
    assert.equal(distrustOf(dir(join(sticky, 'open'), 0o755)), undefined);
  });

  test('names what others could change: the directory itself, or one on the way', () => {
    const root = base();
    const loose = dir(join(root, 'loose'), 0o777);
    assert.deepEqual(distrustOf(loose), { path: loose, problem: 'is writable by its group and others (mode 0777)', fix: `chmod go-w ${loose}` });
    assert.deepEqual(distrustOf(dir(join(loose, 'store'), 0o700)), { path: loose, problem: 'is writable by its group and others (mode 0777)', fix: `chmod go-w ${loose}` });
    const group = dir(join(root, 'group'), 0o775);
    assert.equal(distrustOf(group)?.problem, 'is writable by its group (mode 0775)');
    const sticky = dir(join(root, 'sticky'), 0o1777);
    assert.deepEqual(distrustOf(sticky), { path: sticky, problem: 'is writable by its group and others (mode 01777)', fix: `use a directory of its own in it, such as ${sticky}/stickyban (mkdir -m 700 ${sticky}/stickyban)` }, 'sticky protects what is in it, not its new entries; shared on purpose, it keeps its mode');
    const theirs = dir(join(root, 'theirs'), 0o700, NOBODY);
    assert.deepEqual(distrustOf(dir(join(theirs, 'store'), 0o700)), { path: theirs, problem: 'is owned by uid 65534, not root', fix: `chown root ${theirs}` });
  });

  test("a user's own directories are theirs; root's are everyone's; another user's are no one else's", () => {
    const root = base();
    const theirs = dir(join(root, 'theirs'), 0o755, NOBODY);
    assert.equal(distrustOf(dir(join(theirs, 'store'), 0o700, NOBODY), { euid: NOBODY }), undefined);
    assert.equal(distrustOf(root, { euid: NOBODY }), undefined);
    const other = dir(join(root, 'other'), 0o700, 1234);
    assert.equal(distrustOf(other, { euid: NOBODY })?.problem, 'is owned by uid 1234, not root or uid 65534');
  });

  test('follows links only root (or this user) made, and judges where they lead', () => {
    const root = base();
    const loose = dir(join(root, 'loose'), 0o777);
    const store = dir(join(root, 'store'), 0o700);
    symlinkSync(store, join(root, 'good'));
    assert.equal(distrustOf(join(root, 'good')), undefined);
    symlinkSync('../loose', join(store, 'up'));
    assert.equal(distrustOf(join(store, 'up'))?.path, loose, 'relative targets, .. included, resolve from the link');
    const sticky = dir(join(root, 'sticky'), 0o1777);
    symlinkSync(store, join(sticky, 'theirs'));
    lchownSync(join(sticky, 'theirs'), NOBODY, NOBODY);
    assert.deepEqual(distrustOf(join(sticky, 'theirs')), { path: join(sticky, 'theirs'), problem: 'is a symbolic link owned by uid 65534', fix: 'remove it, or give the real path' });
    symlinkSync(join(root, 'loop2'), join(root, 'loop1'));
    symlinkSync(join(root, 'loop1'), join(root, 'loop2'));
    assert.equal(distrustOf(join(root, 'loop1'))?.problem, 'has too many levels of symbolic links');
  });

  test('a missing directory is an error, or made when asked: its parents 0755 and itself as asked, whatever the umask', () => {
    const root = base();
    assert.throws(() => distrustOf(join(root, 'missing')), { code: 'ENOENT' });
    for (const umask of [0o000, 0o077]) {
      const made = join(root, `umask-${umask}`, 'a', 'store');
      const before = process.umask(umask);
      try {
        assert.equal(distrustOf(made, { create: 0o700 }), undefined);
      } finally {
        process.umask(before);
      }
      assert.equal(statSync(made).mode & 0o7777, 0o700);
      assert.equal(statSync(join(made, '..')).mode & 0o7777, 0o755);
      assert.equal(statSync(join(made, '..', '..')).mode & 0o7777, 0o755);
    }
    writeFileSync(join(root, 'file'), '');
    assert.throws(() => distrustOf(join(root, 'file', 'store'), { create: 0o700 }), { code: 'ENOTDIR' });
  });
});
