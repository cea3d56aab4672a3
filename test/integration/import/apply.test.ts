import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseMembers } from '../../../src/firewall/ipset/cmd.js';
import { requireTools } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';
import { expected, fixture, sorted } from '../../unit/import/fixtures.js';
import { importJson, session } from './session.js';

describe('import and the live set', () => {
  test('with a live set, the import is applied at once (a restore); --no-apply leaves it alone', async () => {
    await requireTools('ipset', 'iptables');
    const s = await session();
    await s.ok(['ban', '203.0.113.9']);
    await s.ok(['restore']);
    const members = async (set: string) => parseMembers(await s.netns.exec('ipset', ['list', set]));

    const skipped = await importJson(s, [fixture('iptables/legacy-blocklist.rules'), '--format', 'iptables-save', '--no-apply']);
    assert.equal(skipped.live.state, 'skipped');
    assert.deepEqual(await members('stickyban4'), ['203.0.113.9']);

    const list = expected('lists/expected.json');
    const text = await s.ok(['import', fixture('lists/shitlist.txt'), '--format', 'plain']);
    assert.match(text, /\nlive set updated \(ipset\): \d+ IPv4 and \d+ IPv6 entries\n$/);
    const live = [...(await members('stickyban4')), ...(await members('stickyban6'))];
    const rules = expected('iptables/expected.json');
    assert.deepEqual(sorted(live), sorted(new Set([...list.valid_distinct.ips, ...rules.valid_distinct.ips, '203.0.113.9'])));

    const unchanged = await importJson(s, [fixture('lists/shitlist.txt'), '--format', 'plain']);
    assert.equal(unchanged.live.state, 'unchanged', 'nothing added, nothing to apply');
  });

  test('without a live set the import only records, and says how to load it', async () => {
    await requireTools('ipset');
    const s = await session();
    const text = await s.ok(['import', fixture('lists/shitlist.txt'), '--format', 'plain']);
    assert.match(text, /\nno live set yet: run stickyban restore to block the imported addresses\n$/);
    assert.match((await s.netns.try('ipset', ['list', 'stickyban4'])).stderr, /does not exist/);
  });

  test('when the policy will not block a list, the import says so (and how)', async () => {
    const s = await session();
    const dir = tempDir();
    const config = join(dir, 'config.toml');
    writeFileSync(config, '[policy]\njails = ["recidive"]\n');
    const result = await s.run(['--config', config, 'import', fixture('iptables/legacy-blocklist.rules'), '--format', 'iptables-save']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, 'stickyban: the policy blocks bans of recidive only: the entries recorded under jail import are not blocked (import them with --jail recidive)\n');
    const jailed = await s.run(['--config', config, 'import', fixture('iptables/legacy-blocklist.rules'), '--format', 'iptables-save', '--jail', 'recidive']);
    assert.equal(jailed.stderr, '');
    assert.match(await s.ok(['--config', config, 'export']), /^203\.0\.113\.130$/m);
  });
});
