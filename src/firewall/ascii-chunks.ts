// ASCII text gathered in large buffers, for a tool's input of a million elements: no string per
// element to build, join and encode, and nothing copied as the text grows.

import { IPV4_TEXT_MAX, IPV6_TEXT_MAX, writeIPv4, writeIPv6 } from '../address/format-ascii.js';

const CHUNK_BYTES = 1 << 18;

export class AsciiChunks {
  private readonly full: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;

  /** `text` must be ASCII (it is written as Latin-1, one byte per character). */
  text(text: string): void {
    this.room(text.length);
    this.at += this.chunk.write(text, this.at, 'latin1');
  }

  byte(code: number): void {
    this.room(1);
    this.chunk[this.at++] = code;
  }

  ipv4(value: number): void {
    this.room(IPV4_TEXT_MAX);
    this.at = writeIPv4(this.chunk, this.at, value);
  }

  ipv6(value: bigint): void {
    this.room(IPV6_TEXT_MAX);
    this.at = writeIPv6(this.chunk, this.at, value);
  }

  /** The text so far, as buffers to write in order. */
  buffers(): Buffer[] {
    return this.at === 0 ? [...this.full] : [...this.full, this.chunk.subarray(0, this.at)];
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.chunk.length) return;
    if (this.at > 0) this.full.push(this.chunk.subarray(0, this.at));
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    this.at = 0;
  }
}
