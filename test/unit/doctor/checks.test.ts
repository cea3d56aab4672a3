import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usesStickyban } from '../../../src/doctor/checks.js';

test('usesStickyban finds the action in jail files, also on continuation lines', () => {
  assert.equal(usesStickyban('[DEFAULT]\naction = %(action_)s\n         stickyban\n'), true);
  assert.equal(usesStickyban('[sshd]\nenabled = true\naction = stickyban[stickyban="/opt/sb"]\n'), true);
  assert.equal(usesStickyban('[sshd]\naction = %(action_)s\n# stickyban\nlogpath = /var/log/auth.log\n'), false);
  assert.equal(usesStickyban('[sshd]\naction = %(action_)s\nlogpath = /var/log/stickyban.log\n'), false);
  assert.equal(usesStickyban('[sshd]\nbanaction = iptables\n  stickyban\n'), false);
});
