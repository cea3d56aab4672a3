// ASCII text gathered in large buffers, for a tool's input of a million elements: no string per
// element to build, join and encode, and nothing copied as the text grows.

const CHUNK_BYTES = 1 << 18;

export class AsciiChunks {
  private readonly full: Buffer[] = [];
  private chunk: Buffer;
  /** Where the next byte goes in the buffer `reserve` returned. */
  at = 0;

  /** `chunkBytes`: the size of each buffer (tests make it small, so that writes cross many). */
  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /**
   * The buffer to write up to `bytes` more bytes into, from `at` on (it may be a new one, with `at`
   * back at 0); the writer then moves `at` past what it wrote. A Buffer drops writes past its end
   * without a word, so reserve at least what the next writes take, before them.
   */
  reserve(bytes: number): Buffer {
    // An overrun always lands here (at is past the end), so the common path makes no extra check.
    if (this.at + bytes > this.chunk.length) {
      this.checkOverrun();
      if (this.at > 0) this.full.push(this.chunk.subarray(0, this.at));
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
      this.at = 0;
    }
    return this.chunk;
  }

  /** The text so far, as buffers to write in order. */
  buffers(): Buffer[] {
    this.checkOverrun();
    return this.at === 0 ? [...this.full] : [...this.full, this.chunk.subarray(0, this.at)];
  }

  /** A writer that wrote more than it reserved lost bytes; the text must not reach a tool. */
  private checkOverrun(): void {
    if (this.at > this.chunk.length) throw new Error(`ASCII text ran ${this.at - this.chunk.length} bytes past its reservation`);
  }
}
