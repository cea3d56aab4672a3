// A firewall reload that keeps the sets costs O(1): packets from a banned address are dropped again
// moments after it, with `stickyban restore` run after the reload and with the daemon alone, and the
// set is not rebuilt for it. A banned client pings the server every 5 ms over a veth pair; the
// replies it gets after the reload are the window the blocklist was open.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { whileDaemonRuns, type RunningDaemon } from '../../helpers/daemon.js';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { wire, type Wire } from '../../helpers/veth.js';
import { configuredNewStore } from '../../helpers/store.js';

const BANNED = '198.51.100.77';
const BANNED6 = '2001:db8:77::7';
/** What an admin's iptables-restore (or netfilter-persistent reload) loads: their own rules, not ours. */
const ADMIN_RULES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';
/** A reload's window, generous for a busy machine; what the product achieves is measured in bench/reload.ts. */
const WINDOW_MS = 1500;

/** Pings the server from `source` every 5 ms; `since(t)` is how long after `t` (epoch ms) replies still came. */
function pingEvery5ms(link: Wire, source: string): { repliedFor(since: number): number; stop(): void } {
  const target = source.includes(':') ? link.server6 : link.server4;
  const ping = spawn('ip', ['netns', 'exec', link.client.name, 'ping', '-D', '-n', '-i', '0.005', '-W', '1', '-I', source, target], { stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  ping.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    repliedFor: (since) => {
      const replies = [...output.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((match) => Number(match[1]) * 1000).filter((at) => at > since);
      return replies.length === 0 ? 0 : Math.max(...replies) - since;
    },
    stop: () => void ping.kill('SIGINT'),
  };
}

/** Runs `reload` while the banned client pings; returns how long it was answered after the reload began. */
async function openWindow(link: Wire, source: string, reload: () => Promise<unknown>, settleMs = 800): Promise<number> {
  const ping = pingEvery5ms(link, source);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(ping.repliedFor(0), 0, 'the banned client is dropped before the reload');
    const started = Date.now();
    await reload();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return ping.repliedFor(started);
  } finally {
    ping.stop();
  }
}

async function bannedServer(toml = ''): Promise<{ netns: Netns; link: Wire; db: string; config: string }> {
  await requireTools('ping', 'ipset', 'iptables');
  const netns = await Netns.create();
  const link = await wire(netns, [BANNED, BANNED6]);
  const { db, config } = configuredNewStore(toml);
  for (const address of [BANNED, BANNED6]) assert.equal((await netns.cli(['--db', db, '--config', config, 'ban', address])).code, 0);
  assert.equal((await netns.cli(['--db', db, '--config', config, 'restore'])).code, 0);
  return { netns, link, db, config };
}

describe('a firewall reload costs O(1)', () => {
  test('iptables-restore then stickyban restore: dropped again at once; rule and jumps put back, the set updated in place, not rebuilt', async () => {
    const { netns, link, db, config } = await bannedServer();
    // A marker added by hand: a restore must take it out (the set equals the plan afterwards) without a rebuild.
    await netns.exec('ipset', ['add', 'stickyban4', '192.0.2.99']);
    // Every ipset call of the restore, and what it fed ipset, written down.
    const bin = tempDir();
    const calls = join(bin, 'calls');
    writeFileSync(join(bin, 'ipset'), `#!/bin/sh\necho "ipset $*" >> '${calls}'\nif [ "$1" = "-exist" ] || [ "$1" = "restore" ]; then tee -a '${calls}' | /usr/sbin/ipset "$@"; else exec /usr/sbin/ipset "$@"; fi\n`);
    chmodSync(join(bin, 'ipset'), 0o755);
    let restored = '';
    const window = await openWindow(link, BANNED, async () => {
      await netns.exec('iptables-restore', [], { input: ADMIN_RULES });
      await netns.exec('ip6tables-restore', [], { input: ADMIN_RULES });
      const result = await netns.try('env', [`PATH=${bin}:${process.env.PATH}`, process.execPath, join(process.cwd(), 'dist/stickyban.cjs'), '--db', db, '--config', config, 'restore']);
      assert.equal(result.code, 0, result.stderr);
      restored = result.stdout;
    });
    assert.ok(window < WINDOW_MS, `answered for ${window} ms after the reload`);
    assert.match(restored, /^iptables: created chain Blocklist\niptables: added rule -m set --match-set stickyban4 src -j DROP in Blocklist\niptables: added jump from INPUT to Blocklist\n/);
    assert.match(restored, /^ipset stickyban4: 0 entries added and 1 removed to match the store$/m);
    const made = readFileSync(calls, 'utf8');
    assert.doesNotMatch(made, /^(create|swap) /m, 'no set created or swapped');
    assert.match(made, /^del stickyban4 192\.0\.2\.99$/m, 'the marker deleted in place');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), [BANNED]);
  });

  test('with the daemon alone (checking every hour): iptables-restore, iptables -F, a flushed and re-created INPUT, both families', async () => {
    const { netns, link, db, config } = await bannedServer();
    await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (daemon: RunningDaemon) => {
      await until('the first reconcile', () => daemon.log().includes('daemon: reconciled at start'));
      const reloads: Array<[string, string, () => Promise<unknown>]> = [
        ['iptables-restore', BANNED, () => netns.exec('iptables-restore', [], { input: ADMIN_RULES })],
        ['ip6tables-restore', BANNED6, () => netns.exec('ip6tables-restore', [], { input: ADMIN_RULES })],
        ['iptables -F', BANNED, () => netns.exec('iptables', ['-F'])],
        // ufw's way: the chain flushed, deleted and made again.
        ['INPUT flushed and re-created', BANNED, () => netns.exec('iptables-restore', ['--noflush'], { input: '*filter\n-F INPUT\n-F Blocklist\n-X Blocklist\nCOMMIT\n' })],
      ];
      for (const [what, source, reload] of reloads) {
        const window = await openWindow(link, source, reload);
        assert.ok(window < WINDOW_MS, `${what}: answered for ${window} ms`);
      }
      assert.doesNotMatch(daemon.log(), /daemon: repaired/, 'no restore was needed');
    });
  });

  test('nftables backend: nft flush ruleset takes the table; the daemon sees it and loads it again at once', async () => {
    await requireTools('nft');
    const { netns, link, db, config } = await bannedServer('backend = "nftables"\n');
    await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (daemon: RunningDaemon) => {
      await until('the first reconcile', () => daemon.log().includes('daemon: reconciled at start'));
      const window = await openWindow(link, BANNED, () => netns.exec('nft', ['flush', 'ruleset']), 1500);
      assert.ok(window < 2 * WINDOW_MS, `answered for ${window} ms`);
      assert.match(daemon.log(), /daemon: repaired: nftables table inet stickyban does not exist/);
    });
  });
});
