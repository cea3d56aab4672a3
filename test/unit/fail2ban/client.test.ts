// fail2ban-client's answers, pasted from fail2ban 1.0.2 (Debian 12), read by the wrapper's parsers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseActions, parseIgnoreList, parseJailList, withoutLogStamps } from '../../../src/fail2ban/client.js';

test('status: the running jails; none', () => {
  assert.deepEqual(parseJailList('Status\n|- Number of jail:\t2\n`- Jail list:\tj1, j3\n'), ['j1', 'j3']);
  assert.deepEqual(parseJailList('Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n'), ['sshd']);
  assert.deepEqual(parseJailList('Status\n|- Number of jail:\t0\n`- Jail list:\t\n'), []);
});

test('get JAIL actions: the names after the heading', () => {
  assert.deepEqual(parseActions('The jail j3 has the following actions:\niptables-multiport, dummy\n'), ['iptables-multiport', 'dummy']);
  assert.deepEqual(parseActions('The jail j1 has the following actions:\niptables-multiport, stickyban.py\n'), ['iptables-multiport', 'stickyban.py']);
  assert.deepEqual(parseActions('The jail j1 has the following actions:\n\n'), []);
});

test('get JAIL ignoreip: one entry a line', () => {
  assert.deepEqual(parseIgnoreList('These IP addresses/networks are ignored:\n|- 127.0.0.0/8\n`- 10.0.0.0/24\n'), ['127.0.0.0/8', '10.0.0.0/24']);
  assert.deepEqual(parseIgnoreList('These IP addresses/networks are ignored:\n`- 127.0.0.0/8\n'), ['127.0.0.0/8']);
  assert.deepEqual(parseIgnoreList('These IP addresses/networks are ignored:\n'), []);
});

test("an error keeps fail2ban's words, not its log stamp", () => {
  assert.equal(withoutLogStamps("2026-12-06 14:47:24,261 fail2ban                [10339]: ERROR   NOK: ('nosuch',)\n"), "NOK: ('nosuch',)\n");
  assert.equal(
    withoutLogStamps('2026-12-06 14:47:27,199 fail2ban                [10414]: ERROR   Failed to access socket path: /run/fail2ban/fail2ban.sock. Is fail2ban running?\n'),
    'Failed to access socket path: /run/fail2ban/fail2ban.sock. Is fail2ban running?\n',
  );
});
