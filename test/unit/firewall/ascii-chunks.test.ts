import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { writeIPv4 } from '../../../src/address/format-ascii.js';
import { AsciiChunks } from '../../../src/firewall/ascii-chunks.js';

/** Writes `text` the way the nft batch does: reserve, write, move `at`. */
function write(out: AsciiChunks, text: string): void {
  const buffer = out.reserve(text.length);
  out.at += buffer.write(text, out.at, 'latin1');
}

describe('AsciiChunks', () => {
  test('writes come out in order, across many buffers, with nothing between them', () => {
    const out = new AsciiChunks();
    const expected: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      // Texts of every length around a buffer's end, and writes of less than was reserved.
      const text = `{"n":${i},"pad":"${'x'.repeat(i % 23)}"}`;
      write(out, text);
      expected.push(text);
      const buffer = out.reserve(20);
      out.at = writeIPv4(buffer, out.at, 0x0a000000 + i);
      expected.push(`10.0.${(i >> 8) & 255}.${i & 255}`);
    }
    const buffers = out.buffers();
    assert.ok(buffers.length > 4, `${buffers.length} buffers`);
    assert.equal(Buffer.concat(buffers).toString('latin1'), expected.join(''));
  });

  test('a write larger than a buffer gets one of its own', () => {
    const out = new AsciiChunks();
    write(out, 'a');
    const long = 'b'.repeat(300_000);
    write(out, long);
    write(out, 'c');
    assert.equal(Buffer.concat(out.buffers()).toString('latin1'), `a${long}c`);
  });

  test('nothing written, no buffers', () => {
    assert.deepEqual(new AsciiChunks().buffers(), []);
  });
});

describe('AsciiChunks overrun', () => {
  test('a write past its reservation is refused, not lost', () => {
    const out = new AsciiChunks(16);
    out.reserve(10);
    out.at = 10;
    // 4 bytes reserved, 15 written: 9 of them fall past the 16-byte buffer.
    out.at = writeIPv4(out.reserve(4), out.at, 0xffffffff);
    assert.throws(() => out.buffers(), /ran 9 bytes past its reservation/);
    assert.throws(() => out.reserve(1), /ran 9 bytes past its reservation/);
  });
});
