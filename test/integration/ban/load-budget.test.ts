// The ban hook's load budget, held by a test rather than a comment: fail2ban runs it once per ban
// (when the daemon is not there to take the ban), so what it loads is time every ban pays. These
// modules must never be among what `stickyban ban` loads, with or without a daemon to talk to.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI } from '../../helpers/cli.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { Netns } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { tempStore } from '../../helpers/store.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Never on the hook's path: packages, Node built-ins, and rooms of our own. */
const NEVER = {
  packages: ['commander', 'cron', 'pg', 'postgres'],
  builtins: ['crypto', 'http', 'https', 'tls', 'worker_threads'],
  ours: ['src/cli/program.ts', 'src/daemon/daemon.ts', 'src/daemon/socket/server.ts', 'src/daemon/watch/', 'src/fleet/', 'src/import/', 'src/doctor/'],
};

async function recorded(netns: Netns, command: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const file = join(tempDir(), 'modules');
  const result = await netns.try('env', [`RECORD_MODULES=${file}`, ...Object.entries(env).map(([key, value]) => `${key}=${value}`), ...command]);
  assert.equal(result.code, 0, result.stderr);
  return readFileSync(file, 'utf8').trim().split('\n');
}

function problems(loaded: readonly string[]): string[] {
  return [
    ...NEVER.packages.filter((name) => loaded.some((entry) => entry === `package:${name}` || entry.includes(`/node_modules/${name}/`))).map((name) => `package ${name}`),
    ...NEVER.builtins.filter((name) => loaded.includes(`builtin:${name}`)).map((name) => `node:${name}`),
    ...NEVER.ours.filter((path) => loaded.some((entry) => entry.startsWith(`file://${ROOT}${path}`))).map((path) => path),
  ];
}

describe('the ban hook loads only what it needs', () => {
  test('the installed command (the bundle): no commander, cron, PostgreSQL client, crypto, TLS or workers', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const ban = (address: string) => [process.execPath, '--require', join(ROOT, 'test/helpers/record-builtins.cjs'), CLI, '--db', db, 'ban', address, '--jail', 'sshd'];
    const alone = await recorded(netns, ban('192.0.2.1'));
    assert.ok(alone.includes('builtin:child_process'), 'the recording works: the hook starts ipset');
    assert.deepEqual(problems(alone), []);
    await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (daemon) => {
      await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
      const viaDaemon = await recorded(netns, ban('192.0.2.2'), daemon.env);
      assert.ok(viaDaemon.includes('builtin:net'), 'the recording works: the hook talks to the daemon');
      assert.deepEqual(problems(viaDaemon), []);
    });
    // And that the check can fail: install-contrib hashes files (node:crypto) and loads commander.
    const install = await recorded(netns, [process.execPath, '--require', join(ROOT, 'test/helpers/record-builtins.cjs'), CLI, 'install-contrib', '--root', tempDir()]);
    assert.deepEqual(problems(install).sort(), ['node:crypto', 'package commander']);
  });

  test('from the sources: none of the rooms it never needs (the daemon, its server and watcher, the fleet, the full CLI, import, doctor)', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const ban = (address: string) => [process.execPath, '--import', 'tsx', '--import', join(ROOT, 'test/helpers/record-modules.mjs'), join(ROOT, 'src/main.ts'), '--db', db, 'ban', address];
    const loaded = await recorded(netns, ban('192.0.2.3'));
    assert.ok(loaded.some((entry) => entry.endsWith('/src/commands/ban.ts')), 'the recording works: it sees the ban command');
    assert.deepEqual(problems(loaded), []);
    // And that the check can fail: the full program is among what `list` loads.
    const listed = await recorded(netns, [process.execPath, '--import', 'tsx', '--import', join(ROOT, 'test/helpers/record-modules.mjs'), join(ROOT, 'src/main.ts'), '--db', db, 'list']);
    assert.ok(problems(listed).includes('src/cli/program.ts'));
  });
});
