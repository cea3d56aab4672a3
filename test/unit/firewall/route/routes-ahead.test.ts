import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../../src/address/format.js';
import { V4, V6, type Cidr } from '../../../../src/address/network.js';
import { parseRoutes } from '../../../../src/firewall/route/parse.js';
import { mainRoutesAhead, rulesAhead, tableRoutesAhead } from '../../../../src/firewall/route/routes-ahead.js';

const METRIC = 4242;
const blackholes = (...dsts: string[]) => JSON.stringify(dsts.map((dst) => ({ type: 'blackhole', dst, metric: METRIC, flags: [] })));
const ours4 = (...dsts: string[]) => parseRoutes<number>(blackholes(...dsts), 4, METRIC);
const ours6 = (...dsts: string[]) => parseRoutes<bigint>(blackholes(...dsts), 6, METRIC);

describe('mainRoutesAhead', () => {
  // As `ip -j route show table main type unicast` prints them (IPv4 metric 0 is left out).
  const main4 = JSON.stringify([
    { dst: 'default', gateway: '192.0.2.254', dev: 'eth0', flags: [] },
    { dst: '198.51.100.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '198.51.100.1', flags: [] },
    { dst: '203.0.113.9', gateway: '192.0.2.1', dev: 'eth0', metric: 10, flags: [] },
    { dst: '203.0.113.20', gateway: '192.0.2.1', dev: 'eth0', metric: 9000, flags: [] },
  ]);

  test('a route more specific than the blackhole holding it, or the same block with a lower metric, wins', () => {
    const ahead = mainRoutesAhead(V4, main4, ours4('198.51.0.0/16', '203.0.113.9', '203.0.113.20'), METRIC);
    assert.deepEqual(
      ahead.map(({ route, over }) => [route, formatCidr(4, over as Cidr<number>)]),
      [
        ['198.51.100.0/24 dev eth1', '198.51.0.0/16'],
        ['203.0.113.9 via 192.0.2.1 dev eth0 metric 10', '203.0.113.9'],
      ],
      'the default route and a higher metric lose; the /24 wins over the /16 holding it',
    );
  });

  test('the most specific blackhole decides: one inside the admin\'s route wins for its own block', () => {
    assert.deepEqual(mainRoutesAhead(V4, main4, ours4('198.51.100.0/25', '198.51.100.7'), METRIC), []);
    assert.deepEqual(mainRoutesAhead(V4, main4, ours4('198.51.100.0/24'), 0).map(({ route }) => route), [], 'our metric 0 wins a tie of blocks');
    assert.deepEqual(mainRoutesAhead(V4, main4, ours4('198.51.100.0/24'), METRIC).map(({ route }) => route), ['198.51.100.0/24 dev eth1']);
  });

  test('routes that drop are not ahead; nothing of ours, nothing ahead', () => {
    const dropping = JSON.stringify([{ type: 'unreachable', dst: '203.0.113.9', flags: [] }, { type: 'blackhole', dst: '203.0.113.9', metric: 1, flags: [] }]);
    assert.deepEqual(mainRoutesAhead(V4, dropping, ours4('203.0.113.0/24'), METRIC), []);
    assert.deepEqual(mainRoutesAhead(V4, main4, [], METRIC), []);
    assert.deepEqual(mainRoutesAhead(V4, '', ours4('203.0.113.0/24'), METRIC), [], 'older iproute2 prints nothing for no route');
  });

  test('IPv6, metrics as ip prints them', () => {
    const main6 = JSON.stringify([
      { dst: '2001:db8:1::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
      { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
    ]);
    assert.deepEqual(mainRoutesAhead(V6, main6, ours6('2001:db8::/32', 'fe80::/10'), METRIC).map(({ route, over }) => [route, formatCidr(6, over as Cidr<bigint>)]), [
      ['2001:db8:1::/64 dev eth0 metric 256', '2001:db8::/32'],
      ['fe80::/64 dev eth0 metric 256', 'fe80::/10'],
    ]);
  });
});

describe('rulesAhead and tableRoutesAhead', () => {
  test('rules before the first lookup of main that look up a table of their own, as ip rule words them', () => {
    const rules = JSON.stringify([
      { priority: 0, src: 'all', table: 'local' },
      { priority: 100, src: 'all', fwmark: '0x1', table: '100' },
      { priority: 200, src: 'all', dst: '10.2.0.0', dstlen: 16, action: 'unreachable' },
      { priority: 300, src: '192.0.2.0', srclen: 24, dst: '10.3.0.0', dstlen: 16, table: 'vpn' },
      // wg-quick: main first (suppressing only default routes), its own table after.
      { priority: 32764, src: 'all', table: 'main', suppress_prefixlength: 0 },
      { priority: 32765, not: null, src: 'all', fwmark: '0xca6c', table: '51820' },
      { priority: 32766, src: 'all', table: 'main' },
    ]);
    assert.deepEqual(rulesAhead(rules), [
      { rule: '100: from all fwmark 0x1 lookup 100', table: '100' },
      { rule: '300: from 192.0.2.0/24 to 10.3.0.0/16 lookup vpn', table: 'vpn' },
    ]);
    assert.deepEqual(rulesAhead('[{"priority":0,"src":"all","table":"local"},{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]'), []);
    assert.throws(() => rulesAhead('{}'), /not an array/);
  });

  test('a table ahead matters where its routes reach a banned block, any prefix: main is never looked up', () => {
    const table = JSON.stringify([
      { dst: 'default', dev: 'wg0', flags: [] },
      { dst: '10.3.0.0/16', dev: 'tun0', flags: [] },
      { dst: '172.16.5.0/24', dev: 'tun0', flags: [] },
    ]);
    assert.deepEqual(tableRoutesAhead(V4, table, ours4('172.16.0.0/12')), ['default dev wg0', '172.16.5.0/24 dev tun0']);
    assert.deepEqual(tableRoutesAhead(V4, table, ours4('10.3.4.5')), ['default dev wg0', '10.3.0.0/16 dev tun0']);
    assert.deepEqual(tableRoutesAhead(V4, JSON.stringify([{ dst: '10.4.0.0/16', dev: 'tun0', flags: [] }]), ours4('10.3.0.0/16', '10.5.0.0/16')), []);
  });
});
