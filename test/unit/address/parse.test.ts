import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collapseIPv6Number, IPv4, IPv6 } from 'ip-num';
import { formatNetwork } from '../../../src/address/format.js';
import { isParseFailure, parseNetwork, tryParseNetwork, InvalidAddressError } from '../../../src/address/parse.js';

// input -> canonical form
const CANONICAL: Array<[string, string]> = [
  ['192.0.2.7', '192.0.2.7'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['10.0.0.0/8', '10.0.0.0/8'],
  ['192.0.2.7/32', '192.0.2.7'],
  ['198.51.100.0/24', '198.51.100.0/24'],
  ['0.0.0.0/0', '0.0.0.0/0'],
  ['203.0.113.128/25', '203.0.113.128/25'],
  ['2001:db8::1', '2001:db8::1'],
  ['2001:DB8::1', '2001:db8::1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['::', '::'],
  ['::1', '::1'],
  ['1::', '1::'],
  ['fe80::1:0:0:0', 'fe80::1:0:0:0'],
  ['2001:db8::/32', '2001:db8::/32'],
  ['2001:db8:1234::/48', '2001:db8:1234::/48'],
  ['2001:db8::1/128', '2001:db8::1'],
  ['2001:DB8:ABCD::/48', '2001:db8:abcd::/48'],
  ['::ffff:192.0.2.7', '192.0.2.7'],
  ['::FFFF:192.0.2.7', '192.0.2.7'],
  ['::ffff:c000:207', '192.0.2.7'],
  ['0:0:0:0:0:ffff:192.0.2.7', '192.0.2.7'],
  ['::ffff:198.51.100.0/120', '198.51.100.0/24'],
  ['::ffff:192.0.2.7/128', '192.0.2.7'],
  ['::ffff:0:0/96', '0.0.0.0/0'],
  ['64:ff9b::192.0.2.7', '64:ff9b::c000:207'],
  ['::192.0.2.7', '::c000:207'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['1:0::', '1::'],
  ['2a02:4780:b374:5765::a', '2a02:4780:b374:5765::a'],
];

// input -> words the error must contain
const INVALID: Array<[string, RegExp]> = [
  ['', /empty/],
  ['010.0.0.1', /leading zero/],
  ['1.2.3.04', /leading zero/],
  ['256.1.1.1', /out of range/],
  ['999.1.1.1', /out of range/],
  ['1.2.3', /four decimal octets/],
  ['1.2.3.4.5', /four decimal octets/],
  ['1..2.3', /four decimal octets/],
  ['1.2.3.4.', /four decimal octets/],
  ['10.0.0.5/8', /host bits are set; the network is 10\.0\.0\.0\/8/],
  ['2001:db8::1/32', /host bits are set; the network is 2001:db8::\/32/],
  ['::ffff:192.0.2.7/120', /host bits are set; the network is 192\.0\.2\.0\/24/],
  ['1.2.3.4/33', /out of range 0-32/],
  ['2001:db8::/129', /out of range 0-128/],
  ['1.2.3.4/', /prefix length/],
  ['1.2.3.4/08', /prefix length/],
  ['1.2.3.4/8/8', /not an IP address|prefix/],
  ['fe80::1%eth0', /zone ids/],
  ['fe80::1%25eth0', /zone ids/],
  ['example.com', /not an IP address/],
  ['localhost', /not an IP address/],
  ['1.2.3.4; rm -rf /', /whitespace/],
  ['$(id)', /not an IP address/],
  ['`id`', /not an IP address/],
  [' 1.2.3.4', /whitespace/],
  ['1.2.3.4\n', /whitespace/],
  ['1.2.3.4\u0000', /control/],
  ['١.٢.٣.٤', /non-ASCII/],
  ['１.2.3.4', /non-ASCII/],
  ['1:2:3:4:5:6:7:8:9', /8 groups/],
  ['1::2::3', /only once/],
  [':::', /only once/],
  ['1:2:3:4:5:6:7::8', /too many groups/],
  ['12345::', /1-4 hex digits/],
  ['g::1', /not an IP address/],
  ['::ffff:1.2.3.256', /embedded IPv4/],
  [':1::', /empty group/],
  ['1:', /8 groups|empty group/],
  ['x'.repeat(10_000), /too long/],
  ['0x7f000001', /not an IP address/],
  ['2130706433', /out of range/],
];

describe('parseNetwork', () => {
  for (const [input, canonical] of CANONICAL) {
    test(`${JSON.stringify(input)} is ${canonical}`, () => {
      assert.equal(formatNetwork(parseNetwork(input)), canonical);
    });
  }

  for (const [input, reason] of INVALID) {
    test(`${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}…` : input)} is refused`, () => {
      const result = tryParseNetwork(input);
      assert.ok(isParseFailure(result), `accepted as ${isParseFailure(result) ? '' : formatNetwork(result)}`);
      assert.match(result.error, reason);
      assert.throws(() => parseNetwork(input), (error: unknown) => {
        assert.ok(error instanceof InvalidAddressError);
        assert.equal(error.kind, 'invalid');
        assert.doesNotMatch(error.message, /\n/, 'the message is one line');
        assert.ok(error.message.length < 300, 'the message is short even for huge input');
        assert.match(error.message, /expected an IPv4 or IPv6 address or CIDR/);
        return true;
      });
    });
  }

  test('the tables are as large as the issue asks', () => {
    assert.ok(CANONICAL.length + INVALID.length >= 40);
  });

  test('a block knows its range', () => {
    const network = parseNetwork('198.51.100.0/24');
    assert.deepEqual([network.family, network.first, network.last, network.prefix], [4, 0xc6336400, 0xc63364ff, 24]);
    const v6 = parseNetwork('2001:db8::/32');
    assert.deepEqual([v6.family, v6.first, v6.last], [6, 0x20010db8n << 96n, (0x20010db8n << 96n) | ((1n << 96n) - 1n)]);
  });
});

/** A deterministic pseudo-random source, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('agreement with ip-num', () => {
  const next = random(42);
  const int = (max: number): number => Math.floor(next() * max);

  test('IPv4: 2,000 random addresses have the value ip-num gives', () => {
    for (let i = 0; i < 2000; i++) {
      const text = [int(256), int(256), int(256), int(256)].join('.');
      const ours = parseNetwork(text);
      assert.equal(BigInt(ours.first), IPv4.fromDecimalDottedString(text).getValue(), text);
      assert.equal(formatNetwork(ours), text);
    }
  });

  test('IPv6: 2,000 random addresses in random spellings have ip-num value and RFC 5952 text', () => {
    for (let i = 0; i < 2000; i++) {
      // Runs of zero groups are common in real addresses; make them common here too.
      const groups = Array.from({ length: 8 }, () => (next() < 0.4 ? 0 : int(0x10000)));
      if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0) groups[0] = 0x2001;
      const expanded = groups.map((group) => group.toString(16)).join(':');
      const spelled = next() < 0.5 ? groups.map((group) => group.toString(16).padStart(4, '0').toUpperCase()).join(':') : expanded;
      const ours = parseNetwork(spelled);
      if (ours.family === 4) continue; // an IPv4-mapped address; folded by design
      assert.equal(ours.first, IPv6.fromString(expanded).getValue(), spelled);
      assert.equal(formatNetwork(ours), collapseIPv6Number(expanded), spelled);
      assert.equal(formatNetwork(parseNetwork(formatNetwork(ours))), formatNetwork(ours), 'canonical text parses to itself');
    }
  });
});
