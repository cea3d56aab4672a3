// The launcher (dist/stickyban.cjs), with the real CLI: `config` needs neither a store nor a firewall.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, runCli, runProcess } from '../../helpers/cli.js';
import { configuredStore, tempDir } from '../../helpers/tmp.js';

function setup(cli = CLI): { cache: string; run: (...args: string[]) => ReturnType<typeof runCli>; files: () => string[] } {
  const { dir, db, config } = configuredStore('');
  const cache = join(dir, 'cache');
  const run = (...args: string[]) =>
    runProcess(process.execPath, [cli, '--db', db, '--config', config, ...args], { env: { STICKYBAN_CODE_CACHE: cache } });
  const files = () => {
    try {
      return readdirSync(cache).sort();
    } catch {
      return [];
    }
  };
  return { cache, run, files };
}

describe('code cache', () => {
  test('a successful run leaves its verb a private cache, which later runs use as it is', async () => {
    const { cache, run, files } = setup();
    const first = await run('config', 'backend');
    assert.equal(first.code, 0, first.stderr);
    const [file, ...others] = files();
    assert.match(file ?? '', /^config-v\d+\.\d+\.\d+-\w+(-\d+){5}-[0-9a-f]{8}\.v8$/);
    assert.deepEqual(others, []);
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    const written = statSync(join(cache, file!));
    assert.equal(written.mode & 0o777, 0o600);
    assert.ok(written.size > 10_000, `a cache of the functions run, not only the top level (${written.size} bytes)`);

    const second = await run('config', 'backend');
    assert.deepEqual([second.code, second.stdout, second.stderr], [0, first.stdout, first.stderr]);
    const reread = statSync(join(cache, file!));
    assert.deepEqual([reread.ino, reread.mtimeMs], [written.ino, written.mtimeMs], 'an accepted cache is not written again');
  });

  test('a broken cache, or one others may write, is not used but replaced', async () => {
    const { cache, run, files } = setup();
    const expected = await run('config', 'backend');
    const file = join(cache, files()[0]!);
    writeFileSync(file, 'not a V8 code cache');
    const broken = await run('config', 'backend');
    assert.deepEqual([broken.code, broken.stdout, broken.stderr], [0, expected.stdout, expected.stderr]);
    assert.notEqual(readFileSync(file, 'utf8'), 'not a V8 code cache');

    chmodSync(file, 0o666);
    const before = statSync(file).ino;
    const open = await run('config', 'backend');
    assert.equal(open.code, 0, open.stderr);
    assert.notEqual(statSync(file).ino, before, 'written anew');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("a cache this user does not own alone is not used but replaced, and a directory others may write is not used", async () => {
    const { cache, run, files } = setup();
    const expected = await run('config', 'backend');
    const file = join(cache, files()[0]!);
    chownSync(file, 65534, 65534);
    const foreign = await run('config', 'backend');
    assert.deepEqual([foreign.code, foreign.stdout], [0, expected.stdout]);
    assert.equal(statSync(file).uid, 0, 'written anew, by this user');

    chmodSync(cache, 0o777);
    writeFileSync(file, 'planted by someone else', { mode: 0o600 });
    const open = await run('config', 'backend');
    assert.deepEqual([open.code, open.stdout], [0, expected.stdout]);
    assert.equal(readFileSync(file, 'utf8'), 'planted by someone else', 'neither read nor written');
  });

  test('an edit of the bundle that keeps its length and modification time is not run from the old cache', async () => {
    // An installation of its own, whose bundle this test may change.
    const root = tempDir();
    const repo = join(dirname(CLI), '..');
    mkdirSync(join(root, 'dist'));
    for (const file of ['stickyban.cjs', 'stickyban-main.cjs']) copyFileSync(join(repo, 'dist', file), join(root, 'dist', file));
    copyFileSync(join(repo, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    symlinkSync(join(repo, 'migrations'), join(root, 'migrations'));
    const main = join(root, 'dist', 'stickyban-main.cjs');
    const { run, files } = setup(join(root, 'dist', 'stickyban.cjs'));
    assert.match((await run('config')).stdout, /^# effective configuration \(/);
    assert.match((await run('config')).stdout, /^# effective configuration \(/);
    const cached = files();

    const { atime, mtime } = statSync(main);
    const text = readFileSync(main, 'utf8');
    assert.equal(text.split('# effective configuration (').length, 2);
    writeFileSync(main, text.replace('# effective configuration (', '# EFFECTIVE configuration ('));
    utimesSync(main, atime, mtime);
    const edited = await run('config');
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(edited.stdout, /^# EFFECTIVE configuration \(/);
    assert.notDeepEqual(files(), cached, 'a cache of its own');
  });

  test("a failed run leaves no cache; a new one removes the verb's caches of earlier builds only", async () => {
    const { cache, run, files } = setup();
    const failed = await run('config', 'no.such.key');
    assert.equal(failed.code, 2, failed.stderr);
    assert.deepEqual(files(), []);

    await run('config', 'backend');
    const current = files()[0]!;
    const stale = 'config-v18.0.0-x64-1-2-3.v8';
    const otherVerb = 'restore-v18.0.0-x64-1-2-3.v8';
    const orphan = `${current}.4242.tmp`;
    const writing = `${current}.4343.tmp`;
    writeFileSync(join(cache, stale), 'old build');
    writeFileSync(join(cache, otherVerb), 'old build');
    writeFileSync(join(cache, orphan), 'left by a killed run');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(cache, orphan), hourAgo, hourAgo);
    writeFileSync(join(cache, writing), 'another run, still writing');
    // A run that misses its cache writes one, and clears the verb's older ones and orphans on the way.
    writeFileSync(join(cache, current), 'broken');
    assert.equal((await run('config', 'backend')).code, 0);
    assert.deepEqual(files(), [current, otherVerb, writing].sort());
  });
});

describe('shebang', () => {
  test('the CLI runs by itself, as installed: node with its flags', async () => {
    const result = await runProcess(CLI, ['--version']);
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, `${version}\n`, '']);
    assert.match(readFileSync(CLI, 'utf8').split('\n')[0]!, /^#!\/usr\/bin\/env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1$/);
  });

  test('runs stickyban without NODE_EXTRA_CA_CERTS, which Node would load before anything else', async () => {
    const { db, config } = configuredStore('');
    const env = { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', STICKYBAN_CODE_CACHE: 'off' };
    // Run by `node FILE`, Node loads the file named and warns that it cannot: the test can see the load.
    const direct = await runProcess(process.execPath, [CLI, '--db', db, '--config', config, 'config', 'backend'], { env });
    assert.match(direct.stderr, /Ignoring extra certs from `\/nonexistent\/ca\.pem`/);
    // Run as installed, by its shebang, it never gets the variable.
    const installed = await runProcess(CLI, ['--db', db, '--config', config, 'config', 'backend'], { env });
    assert.deepEqual([installed.code, installed.stdout, installed.stderr], [0, 'ipset\n', '']);
  });
});
