import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import { Importer, type ImportSettings } from '../../../src/import/importer.js';

const SETTINGS: ImportSettings = { format: 'fail2ban-log', jail: 'import', bantime: -1, now: 1_795_000_000, origin: 'test', protected: [], batchSize: 10, windowSize: 100 };

test('whatever a parser lets through, a time of ban the store would refuse is an invalid line, never a ban to write', () => {
  const importer = new Importer(SETTINGS, true);
  const ban = (bannedAt: number) => ({ network: parseNetwork('192.0.2.7'), jail: 'sshd', bannedAt, identity: String(bannedAt) });
  // The last two: a day ahead of this host's clock is still taken (another host's clock, a time zone); more is not.
  for (const [line, bannedAt] of [1e20, -1, 1.5, 1_794_251_309, 1_795_086_400, 1_795_086_401].entries()) importer.accept(line + 1, `line ${line + 1}`, ban(bannedAt!));
  const result = importer.result();
  assert.deepEqual([result.found, result.invalid, importer.waiting], [2, 4, 2]);
  assert.match(result.problems[0]!.error, /^invalid time of ban 100000000000000000000: expected whole seconds since 1970/);
  assert.equal(result.problems[3]!.error, 'time of ban 2026-11-19T11:06:41Z is in the future (it is 2026-11-18T11:06:40Z here)');
});
