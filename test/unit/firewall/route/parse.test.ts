import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../../src/address/format.js';
import type { Cidr } from '../../../../src/address/network.js';
import { parseNetwork } from '../../../../src/address/parse.js';
import { isHarmless, parseBatchFailures, parseDestination, parseRoutes, routeLine } from '../../../../src/firewall/route/parse.js';
import { IP_BATCH_STDERR, IP_BATCH_STDERR_NEXTHOP, IP_ROUTES_V4, IP_ROUTES_V6 } from '../fixtures.js';

const cidr4 = (text: string) => parseNetwork(text) as Cidr<number>;

describe('parseRoutes', () => {
  test('keeps blackhole routes with our metric only, "default" as /0, sorted', () => {
    assert.deepEqual(parseRoutes<number>(IP_ROUTES_V4, 4, 4242).map((route) => formatCidr(4, route)), ['0.0.0.0/0', '192.0.2.1', '198.51.100.0/24']);
    assert.deepEqual(parseRoutes<number>(IP_ROUTES_V4, 4, 100).map((route) => formatCidr(4, route)), ['192.0.2.1']);
    assert.deepEqual(parseRoutes<bigint>(IP_ROUTES_V6, 6, 4242).map((route) => formatCidr(6, route)), ['::/0', '2001:db8::/32', '2001:db8:1::7']);
  });

  test('no routes: an empty list', () => {
    assert.deepEqual(parseRoutes('[]', 4, 4242), []);
  });

  test('a destination as ip prints it; an IPv4-mapped one stays IPv6', () => {
    assert.deepEqual(parseDestination(6, '::ffff:0.0.0.0/96'), { first: 0xffff00000000n, last: 0xffffffffffffn, prefix: 96 });
    assert.throws(() => parseDestination(4, '192.0.2.0/33'), /unexpected route destination/);
  });
});

describe('routeLine', () => {
  test('one batch line per route, the type narrowing a delete to blackhole routes', () => {
    assert.equal(routeLine('add', 4, cidr4('192.0.2.1'), 4242), 'route replace metric 4242 blackhole 192.0.2.1\n');
    assert.equal(routeLine('del', 4, cidr4('0.0.0.0/0'), 7), 'route del metric 7 blackhole 0.0.0.0/0\n');
    assert.equal(routeLine('add', 6, { first: 0n, last: (1n << 128n) - 1n, prefix: 0 }, 7), 'route replace metric 7 blackhole ::/0\n');
  });
});

describe('parseBatchFailures and isHarmless', () => {
  test('each failure with its line; a delete of a gone route and an add of a present one are harmless', () => {
    const failures = parseBatchFailures(IP_BATCH_STDERR);
    assert.deepEqual(failures, [
      { line: 2, message: 'RTNETLINK answers: No such process' },
      { line: 3, message: 'RTNETLINK answers: No such process' },
      { line: 4, message: 'RTNETLINK answers: File exists' },
    ]);
    assert.ok(isHarmless('del', failures[0]!.message));
    assert.ok(isHarmless('add', failures[2]!.message));
    assert.ok(!isHarmless('add', failures[0]!.message));
    assert.ok(!isHarmless('del', failures[2]!.message));
  });

  test('any other failure is not harmless', () => {
    const [failure] = parseBatchFailures(IP_BATCH_STDERR_NEXTHOP);
    assert.deepEqual(failure, { line: 8, message: 'Error: Device for nexthop is not up.' });
    assert.ok(!isHarmless('add', failure!.message) && !isHarmless('del', failure!.message));
  });
});
