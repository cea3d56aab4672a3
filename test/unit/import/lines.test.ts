import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { lineBatches, MAX_LINE } from '../../../src/import/lines.js';

async function lines(...chunks: Array<string | Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of lineBatches(Readable.from(chunks.map((chunk) => Buffer.from(chunk))))) out.push(...batch);
  return out;
}

describe('lineBatches', () => {
  test('splits across chunk boundaries, drops \\r of CRLF, keeps a last line without newline', async () => {
    assert.deepEqual(await lines('192.0.2.1\r\n192.0', '.2.2\n\n2001:db8::1'), ['192.0.2.1', '192.0.2.2', '', '2001:db8::1']);
    assert.deepEqual(await lines('a\n'), ['a']);
    assert.deepEqual(await lines(''), []);
  });

  test('a byte order mark at the start is dropped, one anywhere else kept', async () => {
    assert.deepEqual(await lines('\ufeff192.0.2.1\n\ufeffx\n'), ['192.0.2.1', '\ufeffx']);
    assert.deepEqual(await lines(Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x31, 0x0a])), ['1']);
  });

  test('a multi-byte character split between chunks stays whole', async () => {
    const bytes = Buffer.from('# café\n192.0.2.1\n');
    assert.deepEqual(await lines(bytes.subarray(0, 5), bytes.subarray(5)), ['# café', '192.0.2.1']);
  });

  test('an overlong line is cut and counted once, the next lines keep their numbers', async () => {
    const long = 'x'.repeat(MAX_LINE * 3);
    const result = await lines('192.0.2.1\n', long.slice(0, MAX_LINE * 2), long.slice(MAX_LINE * 2), '\n192.0.2.2\n');
    assert.equal(result.length, 3);
    assert.equal(result[1]!.length, MAX_LINE + 1, 'cut past MAX_LINE, so the reader rejects it as too long');
    assert.deepEqual([result[0], result[2]], ['192.0.2.1', '192.0.2.2']);
  });
});
