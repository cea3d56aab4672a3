import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { cliCommand, sh } from '../../helpers/cli.js';
import { ipsetEntries } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { manyIPv4, seedBans } from '../../helpers/seed.js';
import { until } from '../../helpers/until.js';
import { tempDb } from '../../helpers/tmp.js';

describe('restore under stress', () => {
  test('kill -9 during the load: the previous live set stays complete; the next restore cleans up', async () => {
    const netns = await Netns.create();
    const db = tempDb();
    seedBans(db, manyIPv4(50_000));
    const first = await netns.cli(['--db', db, 'restore']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 50_000);

    seedBans(db, manyIPv4(550_000, 50_000));
    const [file, args] = cliCommand(['--db', db, 'restore'], netns.name);
    const restore = spawn(file, args, { stdio: 'ignore' });
    const temp = await until('the temporary set', async () => {
      const names = await netns.exec('ipset', ['list', '-n']);
      return /^stickyban4-t\d+$/m.exec(names)?.[0];
    });
    restore.kill('SIGKILL');
    await new Promise((resolve) => restore.once('exit', resolve));
    // The orphaned `ipset restore` reads to the end of its cut-off input and exits without the swap.
    await until('ipset to exit', async () => ((await sh('ip', ['netns', 'pids', netns.name])).trim() === '' ? true : undefined));

    assert.equal(await ipsetEntries(netns, 'stickyban4'), 50_000, 'the live set is the previous one, complete');
    assert.equal((await netns.try('ipset', ['test', 'stickyban4', '100.64.0.1'])).code, 0);
    assert.match(await netns.exec('ipset', ['list', '-n']), new RegExp(`^${temp}$`, 'm'), 'the interrupted temp set is still there');
    assert.match(await netns.exec('iptables', ['-S']), /-A Blocklist -m set --match-set stickyban4 src -j DROP/);

    const next = await netns.cli(['--db', db, 'restore']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, new RegExp(`removed ipset ${temp} left by an interrupted restore`));
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 600_000);
    assert.match(await netns.exec('ipset', ['list', '-n']), /^stickyban4\nstickyban6\n$/, 'no temporary set is left');
  });

  test('a leftover temporary set is removed even when its pid now belongs to another process', async () => {
    const netns = await Netns.create();
    const db = tempDb();
    seedBans(db, ['203.0.113.7']);
    // pid 1 is always alive, and never a stickyban restore.
    await netns.exec('ipset', ['create', 'stickyban4-t1', 'hash:net']);
    const restored = await netns.cli(['--db', db, 'restore']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /removed ipset stickyban4-t1 left by an interrupted restore/);
    assert.doesNotMatch(await netns.exec('ipset', ['list', '-n']), /-t\d+$/m);
  });

  test('bans recorded while a restore loads are in the live set when it ends', async () => {
    const netns = await Netns.create();
    const db = tempDb();
    seedBans(db, manyIPv4(200_000));
    assert.equal((await netns.cli(['--db', db, 'restore'])).code, 0);

    const [file, args] = cliCommand(['--db', db, 'restore'], netns.name);
    const restore = spawn(file, args, { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => restore.once('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    const banned: string[] = [];
    for (let i = 1; !done || banned.length < 5; i++) {
      const address = `198.18.7.${i}`;
      const result = await netns.cli(['--db', db, 'ban', address, '--jail', 'sshd']);
      assert.equal(result.code, 0, result.stderr);
      banned.push(address);
      if (i > 200) break;
    }
    assert.equal(await exited, 0);
    for (const address of banned) {
      assert.equal((await netns.try('ipset', ['test', 'stickyban4', address])).code, 0, `${address} is live`);
    }
    assert.equal(await ipsetEntries(netns, 'stickyban4'), 200_000 + banned.length);
  });
});
