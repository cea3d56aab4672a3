import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionsBySection, actionsUsed } from '../../../src/doctor/fail2ban.js';

test('actionsUsed finds our actions in jail files, also on continuation lines, and tells the Python one from the command one', () => {
  const used = (text: string) => [...actionsUsed(text)].sort();
  assert.deepEqual(used('[DEFAULT]\naction = %(action_)s\n         stickyban\n'), ['stickyban']);
  assert.deepEqual(used('[DEFAULT]\naction = %(action_)s\n         stickyban.py\n'), ['stickyban.py']);
  assert.deepEqual(used('[sshd]\nenabled = true\naction = stickyban[stickyban="/opt/sb"]\n'), ['stickyban']);
  assert.deepEqual(used('[sshd]\naction = stickyban.py[timeout="5"]\n[nginx]\naction = stickyban\n'), ['stickyban', 'stickyban.py']);
  assert.deepEqual(used('[sshd]\naction = %(action_)s\n# stickyban.py\nlogpath = /var/log/auth.log\n'), []);
  assert.deepEqual(used('[sshd]\naction = %(action_)s\nlogpath = /var/log/stickyban.log\n'), []);
  assert.deepEqual(used('[sshd]\nbanaction = iptables\n  stickyban\n'), []);
  assert.deepEqual(used('[sshd]\naction = mystickyban\n'), []);
});

test('actionsBySection tells which section names which action: a disabled jail that names it can be told from one that runs', () => {
  const sections = actionsBySection('[DEFAULT]\nbantime = 1h\n\n[sshd]\nenabled = true\naction = %(action_)s\n         stickyban.py\n\n[nginx]\nenabled = false\naction = stickyban\n[postfix]\nenabled = true\n');
  assert.deepEqual(
    [...sections].map(([section, actions]) => [section, [...actions]]),
    [
      ['DEFAULT', []],
      ['sshd', ['stickyban.py']],
      ['nginx', ['stickyban']],
      ['postfix', []],
    ],
  );
});

test("checkSchedules checks the daemon's cron expressions, which only the daemon reads", async () => {
  const { checkSchedules } = await import('../../../src/doctor/checks.js');
  const { DEFAULTS } = await import('../../../src/config/config.js');
  const good = checkSchedules(DEFAULTS);
  assert.deepEqual(good.map((finding) => [finding.status, finding.check, finding.detail]), [
    ['OK', 'daemon prune_schedule', '"17 4 * * *"'],
    ['OK', 'daemon resync_schedule', '"47 */6 * * *"'],
  ]);
  const bad = checkSchedules({ ...DEFAULTS, file: '/etc/stickyban/config.toml', daemon: { ...DEFAULTS.daemon, pruneSchedule: 'every night', resyncSchedule: '' } });
  assert.equal(bad.length, 1, 'an empty resync_schedule (never) is not checked');
  assert.equal(bad[0]!.status, 'FAIL');
  assert.match(bad[0]!.detail, /^invalid prune_schedule "every night": expected a cron expression/);
  assert.equal(bad[0]!.fix, 'correct it in /etc/stickyban/config.toml');
  // The daemon refuses an empty prune_schedule (only resync_schedule can be off): so does doctor.
  const empty = checkSchedules({ ...DEFAULTS, daemon: { ...DEFAULTS.daemon, pruneSchedule: '' } });
  assert.deepEqual(empty.map((finding) => [finding.status, finding.check]), [['FAIL', 'daemon prune_schedule'], ['OK', 'daemon resync_schedule']]);
});
