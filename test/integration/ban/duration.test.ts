// `stickyban ban --duration 2h`: a temporary manual ban, like cscli's decisions. It blocks like any
// ban until its end, then leaves the plan (restore, export, list, show) by itself; the live set
// follows at the next check of the daemon or `restore --if-missing`. An unban ends it sooner. Prune
// keeps it as the manual ban it is.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ask } from '../../../src/daemon/socket/client.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempStore } from '../../helpers/store.js';
import { until as waitUntil } from '../../helpers/until.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0) / 1000;
const at = (seconds: number) => ({ env: { STICKYBAN_NOW: String(T0 + seconds) } });

async function setup() {
  const netns = await Netns.create();
  const db = tempStore();
  const cli = async (when: number, ...args: string[]) => {
    const result = await netns.cli(['--db', db, ...args], at(when));
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return { netns, db, cli };
}

interface Shown {
  blocked: boolean;
  planned: boolean;
  events: Array<{ until: string | null; lifted_at: string | null; lifted_by: string | null }>;
}

describe('ban --duration', () => {
  test('blocks until its end, then leaves the plan, list, show and export by itself, and the live set at the next check', async () => {
    const { netns, db, cli } = await setup();
    await cli(0, 'restore');
    assert.equal(await cli(0, 'ban', '192.0.2.9', '--duration', '2h', '--reason', 'scanning'), 'banned 192.0.2.9 (jail manual) until 2026-11-21T14:00:00Z\n');
    await cli(0, 'ban', '192.0.2.10');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['192.0.2.10', '192.0.2.9']);

    const running = JSON.parse(await cli(3600, 'show', '192.0.2.9', '--json')) as Shown;
    assert.deepEqual([running.planned, running.blocked], [true, true]);
    assert.deepEqual([running.events[0]!.until, running.events[0]!.lifted_at], ['2026-11-21T14:00:00Z', null], 'running: not lifted yet');
    assert.match(await cli(3600, 'show', '192.0.2.9'), /until 2026-11-21T14:00:00Z/);
    const listed = JSON.parse(await cli(3600, 'list', '--json')) as Array<{ address: string; status: string }>;
    assert.deepEqual(listed.map((row) => [row.address, row.status]), [['192.0.2.9', 'temporary'], ['192.0.2.10', 'permanent']]);
    assert.equal(await cli(3600, 'export'), '192.0.2.9\n192.0.2.10\n');
    assert.equal(await cli(3600, 'restore', '--if-missing'), 'the blocklist is in place; nothing to restore\n');

    // Its end.
    assert.equal(await cli(7200, 'export'), '192.0.2.10\n');
    assert.deepEqual((JSON.parse(await cli(7200, 'list', '--json')) as Array<{ address: string }>).map((row) => row.address), ['192.0.2.10']);
    const ended = JSON.parse(await cli(7200, 'show', '192.0.2.9', '--json')) as Shown;
    assert.deepEqual([ended.planned, ended.blocked], [false, true], 'out of the plan; the live set follows at the next check');
    assert.deepEqual([ended.events[0]!.until, ended.events[0]!.lifted_at, ended.events[0]!.lifted_by], ['2026-11-21T14:00:00Z', '2026-11-21T14:00:00Z', 'duration']);
    assert.match(await cli(7200, 'show', '192.0.2.9'), /ended 2026-11-21T14:00:00Z/);
    assert.match(await cli(7200, 'restore', '--if-missing'), /^missing: temporary ban of 192\.0\.2\.9 ended at 2026-11-21T14:00:00Z, still live\n/);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['192.0.2.10'], 'out of the live set');
    assert.equal((JSON.parse(await cli(7200, 'show', '192.0.2.9', '--json')) as Shown).blocked, false);
    assert.equal(await cli(7300, 'restore', '--if-missing'), 'the blocklist is in place; nothing to restore\n', 'once is enough');
    assert.equal(count(db, 'bans'), 2, 'kept as history');
  });

  test('an unban ends it sooner; prune keeps it as a manual ban, --include-manual prunes it; a bad duration is refused', async () => {
    const { netns, db, cli } = await setup();
    await cli(0, 'restore');
    await cli(0, 'ban', '198.51.100.0/24', '--duration', '1d', '--jail', 'sshd');
    assert.equal(await cli(60, 'unban', '198.51.100.0/24'), 'unbanned 198.51.100.0/24 (1 ban event lifted)\n');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), []);
    assert.deepEqual(query(db, 'SELECT lifted_at - banned_at AS lifted, until - banned_at AS until, lifted_by FROM bans'), [{ lifted: 60, until: 86_400, lifted_by: 'unban' }]);
    assert.match(await cli(60, 'show', '198.51.100.0/24'), /lifted 2026-11-21T12:01:00Z/);

    assert.match(await cli(200 * 86_400, 'prune'), /^nothing to prune/);
    assert.match(await cli(200 * 86_400, 'prune', '--include-manual'), /^pruned 1 address \(1 event\)/);

    for (const [duration, message] of [
      ['0s', /^stickyban: invalid --duration "0s": expected from 1s to 100y\n$/],
      ['soon', /^stickyban: invalid --duration "soon": expected a number with a unit/],
    ] as const) {
      const result = await netns.cli(['--db', db, 'ban', '192.0.2.1', '--duration', duration]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    }
    assert.equal(count(db, 'bans'), 0);
  });

  test('through the daemon too: recorded with its end', async () => {
    const { netns, db, cli } = await setup();
    await cli(0, 'restore');
    await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (daemon) => {
      await waitUntil('the daemon to listen', () => daemon.log().includes('daemon: started'));
      const banned = await netns.cli(['--db', db, 'ban', '203.0.113.4', '--duration', '30m'], { env: daemon.env });
      assert.equal(banned.code, 0, banned.stderr);
      const health = await ask(daemon.socket, { op: 'health' });
      assert.equal(health.answered && (health.response as Record<string, unknown>).bans, 1, 'the daemon recorded it');
    });
    assert.deepEqual(query(db, "SELECT until - banned_at AS duration, lifted_at = until AS scheduled, lifted_by FROM bans WHERE address = '203.0.113.4'"), [{ duration: 1800, scheduled: 1, lifted_by: 'duration' }]);
  });
});
