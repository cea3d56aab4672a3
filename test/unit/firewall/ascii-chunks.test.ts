import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { writeIPv4 } from '../../../src/address/format-ascii.js';
import { AsciiChunks } from '../../../src/firewall/ascii-chunks.js';

describe('AsciiChunks', () => {
  test('text and reserved writes come out in order, across many buffers, with nothing between them', () => {
    const out = new AsciiChunks();
    const expected: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      // Texts of every length around the buffer's end, and reserved writes of less than was reserved.
      const text = `{"n":${i},"pad":"${'x'.repeat(i % 23)}"}`;
      out.text(text);
      expected.push(text);
      const buffer = out.reserve(20);
      out.at = writeIPv4(buffer, out.at, 0x0a000000 + i);
      expected.push(`10.0.${(i >> 8) & 255}.${i & 255}`);
    }
    const buffers = out.buffers();
    assert.ok(buffers.length > 4, `${buffers.length} buffers`);
    assert.equal(Buffer.concat(buffers).toString('latin1'), expected.join(''));
  });

  test('a text longer than a buffer gets one of its own', () => {
    const out = new AsciiChunks();
    out.text('a');
    const long = 'b'.repeat(300_000);
    out.text(long);
    out.text('c');
    assert.equal(Buffer.concat(out.buffers()).toString('latin1'), `a${long}c`);
  });

  test('nothing written, no buffers', () => {
    assert.deepEqual(new AsciiChunks().buffers(), []);
  });
});
