import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTRIB_FILES, MANIFEST } from '../../../src/contrib/files.js';
import { installFiles } from '../../../src/contrib/install.js';
import { CLI, runCli, runProcess } from '../../helpers/cli.js';
import { asNobody, nobodysDir } from '../../helpers/nobody.js';
import { tempDir } from '../../helpers/tmp.js';

const CONTRIB = fileURLToPath(new URL('../../../contrib', import.meta.url));

const EXPECTED: Array<[string, number]> = [
  ['etc/fail2ban/action.d/stickyban.conf', 0o644],
  ['etc/systemd/system/stickyban-restore.service', 0o644],
  ['etc/systemd/system/stickyban.service', 0o644],
  ['etc/systemd/system/stickyban-prune.service', 0o644],
  ['etc/systemd/system/stickyban-prune.timer', 0o644],
  ['usr/share/netfilter-persistent/plugins.d/05-stickyban', 0o755],
  ['usr/share/netfilter-persistent/plugins.d/60-stickyban', 0o755],
  ['etc/stickyban/config.toml.example', 0o644],
];

test('install-contrib --root writes the expected files; a second run changes nothing', async () => {
  const root = join(tempDir(), 'root');
  const first = await runCli(['install-contrib', '--root', root]);
  assert.equal(first.code, 0, first.stderr);
  for (const [path, mode] of EXPECTED) {
    assert.equal(statSync(join(root, path)).mode & 0o777, mode, path);
    assert.match(first.stdout, new RegExp(`installed ${join(root, path)}\\n`));
  }
  assert.equal(existsSync(join(root, 'etc/cron.d/stickyban')), false, 'cron only on request');
  // The manifest's directory is the store's: created private, as the store would create it.
  assert.equal(statSync(join(root, 'var/lib/stickyban')).mode & 0o777, 0o700);
  assert.equal(statSync(join(root, 'var/lib')).mode & 0o777, 0o755, 'the directories above it as usual');
  assert.equal(readFileSync(join(root, 'etc/fail2ban/action.d/stickyban.conf'), 'utf8'), readFileSync('contrib/fail2ban/action.d/stickyban.conf', 'utf8'));

  const snapshot = EXPECTED.map(([path]) => [path, readFileSync(join(root, path), 'utf8'), statSync(join(root, path)).mtimeMs]);
  const second = await runCli(['install-contrib', '--root', root]);
  assert.equal(second.code, 0, second.stderr);
  for (const [path] of EXPECTED) assert.match(second.stdout, new RegExp(`unchanged ${join(root, path)}\\n`));
  assert.deepEqual(EXPECTED.map(([path]) => [path, readFileSync(join(root, path), 'utf8'), statSync(join(root, path)).mtimeMs]), snapshot);
});

test("install-contrib keeps an admin's edited file and puts the new version beside it", async () => {
  const root = join(tempDir(), 'root');
  assert.equal((await runCli(['install-contrib', '--root', root, '--cron'])).code, 0);
  assert.ok(existsSync(join(root, 'etc/cron.d/stickyban')));
  const action = join(root, 'etc/fail2ban/action.d/stickyban.conf');
  const edited = readFileSync(action, 'utf8').replace('stickyban = /usr/local/bin/stickyban', 'stickyban = /opt/stickyban/bin/stickyban');
  writeFileSync(action, edited);

  const again = await runCli(['install-contrib', '--root', root, '--cron']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`kept your edited ${action}; the new version is ${action}.stickyban-new`));
  assert.equal(readFileSync(action, 'utf8'), edited);
  assert.equal(readFileSync(`${action}.stickyban-new`, 'utf8'), readFileSync('contrib/fail2ban/action.d/stickyban.conf', 'utf8'));

  // A file we installed and nobody touched is updated in place when the shipped version changes.
  const manifest = JSON.parse(readFileSync(join(root, 'var/lib/stickyban/contrib.json'), 'utf8')) as Record<string, string>;
  assert.ok(manifest['/etc/systemd/system/stickyban-restore.service']);
});

test('install-contrib --root that is a file, or under one: one line, exit 2 and exit 1, no stack', async () => {
  const file = join(tempDir(), 'root');
  writeFileSync(file, '');
  const onFile = await runCli(['install-contrib', '--root', file]);
  assert.deepEqual([onFile.code, onFile.stderr], [2, `stickyban: invalid --root "${file}": it is not a directory\n`]);
  const under = await runCli(['install-contrib', '--root', join(file, 'sub')]);
  assert.equal(under.code, 1);
  assert.match(under.stderr, /^stickyban: cannot install into .*\/root\/sub: ENOTDIR: not a directory, .*\/root\n$/);
});

test('install-contrib --cron --no-daemon, two ways to prune: one line, exit 2, nothing installed', async () => {
  const root = join(tempDir(), 'root');
  const both = await runCli(['install-contrib', '--root', root, '--cron', '--no-daemon']);
  assert.deepEqual([both.code, both.stderr], [2, 'stickyban: --cron and --no-daemon choose two ways to prune: expected one of them (--cron: cron.d only; --no-daemon: the daily prune timer)\n']);
  assert.equal(existsSync(root), false);
});

test('install-contrib writes through no link: not into a root another user owns, not through a link at an installed file', async () => {
  const shipped = readFileSync(join(CONTRIB, 'fail2ban/action.d/stickyban.conf'));
  const victim = join(tempDir(), 'victim');
  writeFileSync(victim, 'root only\n', { mode: 0o600 });
  // The temporary file's name was <file>.tmp-<pid>: known here, since the install runs in this process.
  const theirs = nobodysDir('root');
  await asNobody('mkdir -p "$1/etc/fail2ban/action.d" && ln -s "$2" "$1/etc/fail2ban/action.d/stickyban.conf.tmp-$3"', theirs, victim, String(process.pid));
  assert.throws(() => installFiles(CONTRIB_FILES, CONTRIB, theirs, MANIFEST), /^OperationalError: refusing to install into .*\/root: it is owned by uid 65534, not root \(chown root .*\)$/);
  assert.equal(readFileSync(victim, 'utf8'), 'root only\n', 'nothing written through their link');

  // An installed file swapped for a link to a root-only file with the shipped content (a race with
  // the read): kept as an edit, never chmodded through.
  const root = join(tempDir(), 'root');
  assert.equal((await runCli(['install-contrib', '--root', root])).code, 0);
  const action = join(root, 'etc/fail2ban/action.d/stickyban.conf');
  const secret = join(tempDir(), 'secret');
  writeFileSync(secret, shipped, { mode: 0o600 });
  unlinkSync(action);
  symlinkSync(secret, action);
  const again = await runCli(['install-contrib', '--root', root]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`kept your edited ${action}; the new version is ${action}.stickyban-new`));
  assert.equal(statSync(secret).mode & 0o777, 0o600, 'the link target keeps its mode');
  assert.ok(lstatSync(action).isSymbolicLink());
  assert.ok(readFileSync(`${action}.stickyban-new`).equals(shipped));
});

test('install-contrib under umask 000 makes its directories 0755, and the store\'s 0700, never from the umask', async () => {
  const root = join(tempDir(), 'root');
  const result = await runProcess('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, CLI, 'install-contrib', '--root', root]);
  assert.equal(result.code, 0, result.stderr);
  for (const dir of ['', 'etc', 'etc/fail2ban', 'etc/fail2ban/action.d', 'etc/systemd/system', 'usr/share/netfilter-persistent/plugins.d', 'var/lib']) {
    assert.equal(statSync(join(root, dir)).mode & 0o7777, 0o755, dir || '--root');
  }
  assert.equal(statSync(join(root, 'var/lib/stickyban')).mode & 0o7777, 0o700);
  assert.equal(statSync(join(root, 'var/lib/stickyban/contrib.json')).mode & 0o777, 0o644);
});
