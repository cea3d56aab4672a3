// One rule for exit codes: a command that finds what it was asked for already in place exits 0 and
// says so (ban, unban, safelist add and remove alike: before, removing a missing safelist entry and
// unbanning an address that has no ban exited 1, re-adding an entry 0); 1 is for work that could
// not be done; 2 for a request this command cannot carry out as given, and nothing is written.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { cliCommand, runProcess } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { Netns } from '../../helpers/netns.js';
import { count } from '../../helpers/sqlite.js';
import { configuredNewStore } from '../../helpers/store.js';

test('asking again for what is already so exits 0 with one line saying so; what only the config file can change exits 2', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('safelist = ["198.51.100.0/24"]\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  const done = async (args: string[], line: RegExp) => {
    const result = await cli(...args);
    assert.deepEqual([result.code, result.stderr], [0, ''], args.join(' '));
    assert.match(result.stdout, line, args.join(' '));
  };
  await done(['ban', '203.0.113.7'], /^banned 203\.0\.113\.7 \(jail manual\)/);
  await done(['ban', '203.0.113.7'], /^banned 203\.0\.113\.7 \(jail manual\)/);
  await done(['unban', '203.0.113.7'], /^unbanned 203\.0\.113\.7 \(2 ban events lifted\)/);
  await done(['unban', '203.0.113.7'], /^203\.0\.113\.7 has no active ban; nothing to lift\n$/);
  await done(['unban', '203.0.113.8', '--jail', 'sshd'], /^203\.0\.113\.8 has no active ban in jail sshd; nothing to lift\n$/);
  await done(['safelist', 'add', '192.0.2.0/24'], /^safelisted 192\.0\.2\.0\/24/);
  await done(['safelist', 'add', '192.0.2.0/24'], /^192\.0\.2\.0\/24 is already safelisted\n$/);
  await done(['safelist', 'remove', '192.0.2.0/24'], /^removed 192\.0\.2\.0\/24 from the safelist/);
  await done(['safelist', 'remove', '192.0.2.0/24'], /^192\.0\.2\.0\/24 is not in the safelist; nothing to remove\n$/);

  for (const [address, message] of [
    ['198.51.100.0/24', /^stickyban: 198\.51\.100\.0\/24 is safelisted in .*config\.toml; remove it there\n$/],
    ['127.0.0.0/8', /^stickyban: 127\.0\.0\.0\/8 is built in: loopback is always safelisted\n$/],
  ] as const) {
    const refused = await cli('safelist', 'remove', address);
    assert.equal(refused.code, 2, address);
    assert.match(refused.stderr, message);
  }
  assert.equal(count(db, 'safelist'), 0);
});

test('a path whose bytes are not UTF-8 (--db, --config, --root) is refused, exit 2, and nothing is made under the name it would become', async () => {
  const dir = tempDir();
  const [file, argv] = cliCommand([], undefined);
  const command = [file, ...argv].map((word) => `'${word}'`).join(' ');
  for (const [args, what] of [
    [`--db $'${dir}/u\\xff/sb.db' init`, '--db'],
    [`--config $'${dir}/c\\xff.toml' config`, 'config file'],
    [`install-contrib --root $'${dir}/r\\xff'`, '--root'],
  ] as const) {
    const result = await runProcess('bash', ['-c', `${command} ${args}`]);
    assert.equal(result.code, 2, `${args}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`^stickyban: invalid ${what} .*: expected a path of UTF-8 text \\(it holds bytes that are not UTF-8, so it would name another file\\)\\n$`));
  }
  assert.deepEqual(readdirSync(dir), [], 'nothing made');
});
