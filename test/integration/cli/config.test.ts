// `stickyban config`: the effective configuration as a config file that loads back to the same
// settings, and single values for scripts (the netfilter-persistent plugin reads the set names).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/config.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { Netns } from '../../helpers/netns.js';
import { configuredStore, tempDir } from '../../helpers/tmp.js';

const CUSTOM = `db = "/srv/sb/store.db"
backend = "nftables"
busy_timeout = "45s"
safelist = ["192.0.2.0/24", "2001:db8:1::/48"]

[policy]
jails = ["sshd", "recidive"]
min_bans = 3
retention = "never"

[ipset]
set4 = "blk4"
set6 = "blk6"
hook_chains = ["INPUT", "DOCKER-USER"]

[daemon]
heal_interval = "2m"
metrics_file = "/var/lib/node_exporter/stickyban.prom"
`;

test('the printed configuration loads back to the same settings, for the defaults and for a custom file', async () => {
  const dir = tempDir();
  const custom = join(dir, 'custom.toml');
  writeFileSync(custom, CUSTOM);
  for (const args of [['--config', join(dir, 'absent.toml')].slice(2), ['--config', custom]]) {
    // As the command reads its file alone: the suite's STICKYBAN_SOCKET would override it.
    const printed = await runCli([...args, 'config'], { env: { STICKYBAN_SOCKET: undefined } });
    assert.equal(printed.code, 0, printed.stderr);
    const copy = join(dir, 'printed.toml');
    writeFileSync(copy, printed.stdout);
    const { file: _printedFrom, ...reloaded } = await loadConfig({ config: copy }, {});
    const { file: _from, ...original } = await loadConfig(args.length > 0 ? { config: custom } : {}, {});
    assert.deepEqual(reloaded, original, args.join(' ') || 'defaults');
  }
});

test('one key prints its value, a list one entry per line; an unknown key is exit 2 naming the keys', async () => {
  const dir = tempDir();
  const custom = join(dir, 'custom.toml');
  writeFileSync(custom, CUSTOM);
  const value = async (key: string) => (await runCli(['--config', custom, 'config', key])).stdout;
  assert.equal(await value('ipset.set4'), 'blk4\n');
  assert.equal(await value('ipset.hook_chains'), 'INPUT\nDOCKER-USER\n');
  assert.equal(await value('policy.retention'), 'never\n');
  assert.equal(await value('busy_timeout'), '45s\n');
  assert.equal(await value('safelist'), '192.0.2.0/24\n2001:db8:1::/48\n');
  assert.equal((await runCli(['config', 'policy.jails'])).stdout, '', 'an empty list prints nothing');
  for (const key of ['ipset', 'ipset.nope', 'nope', 'ipset.set4.x']) {
    const result = await runCli(['config', key]);
    assert.equal(result.code, 2, key);
    assert.match(result.stderr, new RegExp(`^stickyban: unknown config key "${key.replace(/\./g, '\\.')}": expected one of db, backend, .*ipset\\.set4, ipset\\.set6,.*\\n$`));
    assert.equal(result.stdout, '');
  }
});

test('hook_chains loads without repeats and without the chain itself, which cannot jump to itself', async () => {
  const { config } = configuredStore('[ipset]\nchain = "DenyList"\nhook_chains = ["INPUT", "FORWARD", "DenyList", "INPUT"]\n');
  assert.deepEqual((await loadConfig({ config }, {})).ipset.hookChains, ['INPUT', 'FORWARD']);
  assert.equal((await runCli(['--config', config, 'config', 'ipset.hook_chains'])).stdout, 'INPUT\nFORWARD\n');
});

test('--config is read bounded: a device, a FIFO or a file over 1 MiB is refused at once, with one line', async () => {
  const dir = tempDir();
  const fifo = join(dir, 'config.fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.toml');
  writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\n`);
  const cases: Array<[string, RegExp]> = [
    ['/dev/zero', /^stickyban: config file "\/dev\/zero" is a character device; expected a regular file holding TOML\n$/],
    [fifo, /^stickyban: config file ".*config\.fifo" is a FIFO; expected a regular file holding TOML\n$/],
    [big, /^stickyban: config file ".*big\.toml" is 1048579 bytes; expected at most 1048576 \(1 MiB\)\n$/],
  ];
  for (const [file, refusal] of cases) {
    for (const verb of [['config'], ['ban', '192.0.2.7', '--db', join(dir, 'stickyban.db')]]) {
      const started = Date.now();
      const result = await runCli(['--config', file, ...verb], { env: { STICKYBAN_SOCKET: undefined } });
      assert.equal(result.code, 2, `${file} ${verb[0]}: ${result.stderr}`);
      assert.match(result.stderr, refusal);
      assert.ok(Date.now() - started < 10_000, `${file} ${verb[0]}: answered at once`);
    }
  }
});

test('a host named with a digit first (123web) works: without a fleet its name is not checked, with one it may be a host name', async () => {
  const dir = tempDir();
  const plain = join(dir, 'plain.toml');
  writeFileSync(plain, 'busy_timeout = "5s"\n');
  const withFleet = join(dir, 'fleet.toml');
  writeFileSync(withFleet, '[fleet]\nurl = "postgresql://db.example/stickyban"\n');
  // In a UTS namespace of its own: the machine's hostname is not touched.
  const asHost = (name: string, config: string) =>
    spawnSync('unshare', ['--uts', 'sh', '-c', 'hostname "$1" && shift && exec "$@" 2>&1', 'sh', name, process.execPath, CLI, '--config', config, 'config', 'fleet.host'], { encoding: 'utf8' }).stdout;
  assert.equal(asHost('123web', plain), '123web\n');
  assert.equal(asHost('123web', withFleet), '123web\n');
  // A hostname that is no fleet host name matters only to a fleet.
  const long = 'a'.repeat(64);
  assert.equal(asHost(long, plain), `${long}\n`);
  assert.match(asHost(long, withFleet), /^stickyban: config file .*fleet\.toml: "fleet\.host" is not set, and this host's name "a{60}"… \(64 characters\) is not a fleet host name \(1-63 letters, digits, '-', '_' or '\.', starting with a letter or digit\): set one\n$/);
  writeFileSync(withFleet, '[fleet]\nurl = "postgresql://db.example/stickyban"\nhost = "9lives"\naccept_hosts = ["1st", "mail"]\n');
  assert.equal(asHost(long, withFleet), '9lives\n');
});

test("config KEY finds the config's own keys only; STICKYBAN_SOCKET is held to a socket path's 107 bytes", async () => {
  for (const key of ['constructor', 'ipset.toString', 'policy.hasOwnProperty']) {
    const result = await runCli(['config', key]);
    assert.deepEqual([result.code, result.stdout], [2, ''], key);
    assert.match(result.stderr, /^stickyban: unknown config key ".*": expected one of db, /);
  }
  const long = `/tmp/${'a'.repeat(100)}/s.sock`;
  const result = await runCli(['config', 'daemon.socket'], { env: { STICKYBAN_SOCKET: long } });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^stickyban: invalid STICKYBAN_SOCKET "\/tmp\/a+"… \(112 characters\): expected an absolute path of at most 107 bytes\n$/);
  assert.equal((await runCli(['config', 'daemon.socket'], { env: { STICKYBAN_SOCKET: '/run/x/s.sock' } })).stdout, '/run/x/s.sock\n');
});

test('a config file that is not UTF-8, or that cannot be reached, is said as such: not read leniently, nor taken for missing', async () => {
  const dir = tempDir();
  const latin = join(dir, 'latin1.toml');
  writeFileSync(latin, Buffer.from('db = "/srv/st\xffickyban.db"\n', 'latin1'));
  const bytes = await runCli(['--config', latin, 'config', 'db']);
  assert.deepEqual([bytes.code, bytes.stdout, bytes.stderr], [2, '', `stickyban: config file "${latin}" is not valid UTF-8; expected TOML in UTF-8\n`]);
  const loop = join(dir, 'loop.toml');
  symlinkSync(loop, loop);
  const looped = await runCli(['--config', loop, 'config', 'db']);
  assert.equal(looped.code, 2);
  assert.match(looped.stderr, /^stickyban: cannot read config file .*loop\.toml: .*(ELOOP|too many (levels of )?symbolic links).*\n$/i);
  // A byte order mark is no setting.
  const marked = join(dir, 'bom.toml');
  writeFileSync(marked, '\ufeffdb = "/srv/sb.db"\n');
  assert.equal((await runCli(['--config', marked, 'config', 'db'])).stdout, '/srv/sb.db\n');
});

test('a section given as a date or a time is no table, a float no integer; a path with a newline in it is still one line', async () => {
  const dir = tempDir();
  const dated = join(dir, 'date.toml');
  for (const toml of ['ipset = 1979-05-27T07:32:00Z\n', 'fleet = 07:32:00\n', 'policy = 1979-05-27\n']) {
    writeFileSync(dated, toml);
    const result = await runCli(['--config', dated, 'config', 'ipset.set4']);
    assert.deepEqual([result.code, result.stdout], [2, ''], toml);
    assert.match(result.stderr, /^stickyban: config file .*date\.toml: "(ipset|fleet|policy)" must be a table\n$/, toml);
  }
  // A float is no integer, however whole: TOML tells them apart, and so does the reader.
  writeFileSync(dated, '[policy]\nmin_bans = 2.0\n');
  const float = await runCli(['--config', dated, 'config', 'policy.min_bans']);
  assert.deepEqual([float.code, float.stderr], [2, `stickyban: config file ${dated}: "policy.min_bans" must be an integer from 1 to 1000000\n`]);
  const newline = join(dir, 'x\ny.toml');
  writeFileSync(newline, 'bogus = 1\n');
  const bad = await runCli(['--config', newline, 'config']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.split('\n').length, 2, `one line: ${bad.stderr}`);
  assert.match(bad.stderr, /x\\u000ay\.toml/);
  // A key is the file's own text: an escape sequence and a line break in it are escaped, a huge one cut.
  writeFileSync(dated, '"\\u001b[31mRED\\u000a" = 1\n');
  const key = await runCli(['--config', dated, 'config']);
  assert.deepEqual([key.code, key.stderr], [2, `stickyban: config file ${dated}: "\\u001b[31mRED\\n" is not a known setting\n`]);
  writeFileSync(dated, `${'k'.repeat(500_000)} = 1\n`);
  const huge = await runCli(['--config', dated, 'config']);
  assert.equal(huge.code, 2);
  assert.ok(huge.stderr.length < 1000, `a short line: ${huge.stderr.length} characters`);
});

test('paths in the config file are absolute: a relative one would depend on where each command, or the daemon, runs', async () => {
  const dir = tempDir();
  const config = join(dir, 'relative.toml');
  for (const [toml, key] of [
    ['db = "stickyban.db"\n', 'db'],
    ['[daemon]\nmetrics_file = "sb.prom"\n', 'daemon.metrics_file'],
    ['[fleet]\npassword_file = "fleet.password"\n', 'fleet.password_file'],
    ['[fleet]\nca_file = "ca.pem"\n', 'fleet.ca_file'],
    ['[fail2ban]\nconfig_dir = "etc/fail2ban"\n', 'fail2ban.config_dir'],
  ] as const) {
    writeFileSync(config, toml);
    const result = await runCli(['--config', config, 'config']);
    assert.equal(result.code, 2, toml);
    assert.match(result.stderr, new RegExp(`^stickyban: config file .*relative\\.toml: "${key.replace('.', '\\.')}" ".*" must be an absolute path, without control characters\\n$`), toml);
  }
  // A NUL would cut a socket's path short where the kernel reads it: the daemon listened on another.
  for (const [toml, key] of [
    ['[daemon]\nsocket = "/run/stickyban/s\\u0000x"\n', 'daemon.socket'],
    ['[fail2ban]\nsocket = "/run/fail2ban/\\u0007.sock"\n', 'fail2ban.socket'],
    ['db = "/var/lib/stickyban/\\u0000.db"\n', 'db'],
  ] as const) {
    writeFileSync(config, toml);
    const result = await runCli(['--config', config, 'config']);
    assert.equal(result.code, 2, toml);
    assert.match(result.stderr, new RegExp(`^stickyban: config file .*relative\\.toml: "${key.replace('.', '\\.')}" ".*" must be an absolute path.*, without control characters\\n$`), toml);
  }
});

test('a config file another user could write is refused: it chooses the store, the sockets and the password file root uses', async () => {
  const dir = tempDir();
  const config = join(dir, 'loose.toml');
  writeFileSync(config, 'db = "/srv/sb.db"\n');
  chmodSync(config, 0o666);
  const writable = await runCli(['--config', config, 'config', 'db']);
  assert.deepEqual([writable.code, writable.stderr], [2, `stickyban: config file "${config}" may be written by others (mode 666): expected writable by its owner alone (chmod go-w it)\n`]);
  chmodSync(config, 0o644);
  chownSync(config, 65534, 65534);
  const theirs = await runCli(['--config', config, 'config', 'db']);
  assert.deepEqual([theirs.code, theirs.stderr], [2, `stickyban: config file "${config}" is owned by uid 65534: expected owned by root (chown it)\n`]);
  chownSync(config, 0, 0);
  assert.equal((await runCli(['--config', config, 'config', 'db'])).stdout, '/srv/sb.db\n');

  // The way to it: a directory others may write (another user could swap the file), a link of theirs.
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const inOpen = join(open, 'c.toml');
  writeFileSync(inOpen, 'db = "/srv/sb.db"\n');
  const swappable = await runCli(['--config', inOpen, 'config', 'db']);
  assert.deepEqual([swappable.code, swappable.stderr], [2, `stickyban: config file "${inOpen}": ${open} is writable by its group and others (mode 0777): the config chooses the store and sockets root uses (chmod go-w ${open})\n`]);
  // A shared sticky one (/tmp) is fine: others can neither replace nor remove root's file there.
  const sticky = join(dir, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  writeFileSync(join(sticky, 'c.toml'), 'db = "/srv/sb.db"\n');
  assert.equal((await runCli(['--config', join(sticky, 'c.toml'), 'config', 'db'])).stdout, '/srv/sb.db\n');
  const link = join(dir, 'link.toml');
  symlinkSync(config, link);
  assert.equal((await runCli(['--config', link, 'config', 'db'])).stdout, '/srv/sb.db\n', "root's link is followed");
  lchownSync(link, 65534, 65534);
  const theirLink = await runCli(['--config', link, 'config', 'db']);
  assert.deepEqual([theirLink.code, theirLink.stderr], [2, `stickyban: config file "${link}": ${link} is a symbolic link owned by uid 65534: expected one of root's (remove it, or give the real path)\n`]);
  const toOpen = join(dir, 'to-open.toml');
  symlinkSync(inOpen, toOpen);
  assert.equal((await runCli(['--config', toOpen, 'config', 'db'])).code, 2, 'a link to a file in an open directory');
  // A link with `..` in a directory reached through a link: followed where the kernel goes (real/x), not by the text (x).
  mkdirSync(join(dir, 'real', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'real', 'x'));
  chmodSync(join(dir, 'real', 'x'), 0o777);
  writeFileSync(join(dir, 'real', 'x', 'c.toml'), 'db = "/srv/sb.db"\n');
  symlinkSync(join(dir, 'real', 'sub'), join(dir, 'linkdir'));
  symlinkSync('../x/c.toml', join(dir, 'real', 'sub', 'c.toml'));
  const dotted = await runCli(['--config', join(dir, 'linkdir', 'c.toml'), 'config', 'db']);
  assert.equal(dotted.code, 2, dotted.stdout);
  assert.match(dotted.stderr, /real\/x is writable by its group and others/);
  // Not root, and the way to it cannot be entered: the read says so, one line, exit 2.
  chmodSync(dir, 0o711);
  const hidden = join(dir, 'hidden');
  mkdirSync(hidden, { mode: 0o700 });
  writeFileSync(join(hidden, 'c.toml'), 'db = "/srv/sb.db"\n');
  // As nobody, through the checkout bound where nobody may read it (a fresh clone's is in a private temp dir).
  const denied = await (await Netns.create()).cliAsNobody(['--config', join(hidden, 'c.toml'), 'config', 'db']);
  assert.deepEqual([denied.code, denied.stderr.split('\n').length], [2, 2], denied.stderr);
  assert.match(denied.stderr, /^stickyban: cannot read config file .*permission denied/i);
});
