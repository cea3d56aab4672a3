// ASCII text gathered in large buffers, for a tool's input of a million elements: no string per
// element to build, join and encode, and nothing copied as the text grows.

const CHUNK_BYTES = 1 << 18;

export class AsciiChunks {
  private readonly full: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Where the next byte goes in the buffer `reserve` returned. */
  at = 0;

  /**
   * The buffer to write up to `bytes` more bytes into, from `at` on; the writer then moves `at`
   * past what it wrote. One call per element, whatever it is made of.
   */
  reserve(bytes: number): Buffer {
    if (this.at + bytes > this.chunk.length) {
      if (this.at > 0) this.full.push(this.chunk.subarray(0, this.at));
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
      this.at = 0;
    }
    return this.chunk;
  }

  /** `text` must be ASCII (it is written as Latin-1, one byte per character). */
  text(text: string): void {
    // Reserve first: it may start a new buffer, which moves `at` back to 0.
    const buffer = this.reserve(text.length);
    this.at += buffer.write(text, this.at, 'latin1');
  }

  /** The text so far, as buffers to write in order. */
  buffers(): Buffer[] {
    return this.at === 0 ? [...this.full] : [...this.full, this.chunk.subarray(0, this.at)];
  }
}
