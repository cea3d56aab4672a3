import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../../../src/commands/table.js';

test('columns are as wide as their widest cell; the last one is not padded', () => {
  assert.equal(
    formatTable(['ADDRESS', 'STATUS', 'NOTE'], [['192.0.2.1', 'permanent', 'x'], ['2001:db8::1', 'pending', '']]),
    'ADDRESS      STATUS     NOTE\n192.0.2.1    permanent  x\n2001:db8::1  pending\n',
  );
});

test('half a million rows: widths come from a loop, not from spreading every row into Math.max', () => {
  const rows = Array.from({ length: 500_000 }, (_, i) => [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, String(i)]);
  rows[123_456] = ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '1'];
  const lines = formatTable(['ADDRESS', 'BANS'], rows).split('\n');
  assert.equal(lines.length, 500_002);
  assert.equal(lines[1], `10.0.0.0${' '.repeat(32)}0`);
  assert.equal(lines[123_457], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff  1');
});
