// The order an import writes its events in: the store's block index order (first address, then
// size, within a family), so a window of events reaches the indexes as runs of neighbouring keys.
// Stable: of two events of one block the earlier in the input comes first, and is the one kept when
// their ids are equal. A radix sort over typed arrays: a comparator sort of a million events took
// over a second, most of the import's own work.

const DIGIT_BITS = 16;
const DIGITS = 1 << DIGIT_BITS;
const LOW_DIGIT = DIGITS - 1;

/**
 * Items 0 … count-1 ordered by their key, then their prefix, stably. Item i's key is the unsigned
 * number in words[i * wordsPerKey …], most significant 32-bit word first (an IPv4 address: one
 * word; IPv6: four); its prefix is prefix[i]. An LSD radix sort: by prefix, then by each 16 bits of
 * the key from the least significant up.
 */
export function blockOrder(count: number, words: Uint32Array, wordsPerKey: number, prefix: Uint8Array): Uint32Array {
  let from = new Uint32Array(count);
  for (let i = 0; i < count; i++) from[i] = i;
  let to = new Uint32Array(count);
  const digits = new Uint32Array(count);
  const starts = new Uint32Array(DIGITS + 1);
  const pass = (digitOf: (item: number) => number): void => {
    starts.fill(0);
    for (let n = 0; n < count; n++) {
      const digit = digitOf(from[n]!);
      digits[n] = digit;
      starts[digit + 1]!++;
    }
    for (let d = 1; d <= DIGITS; d++) starts[d]! += starts[d - 1]!;
    for (let n = 0; n < count; n++) to[starts[digits[n]!]!++] = from[n]!;
    [from, to] = [to, from];
  };
  pass((item) => prefix[item]!);
  for (let word = wordsPerKey - 1; word >= 0; word--) {
    pass((item) => words[item * wordsPerKey + word]! & LOW_DIGIT);
    pass((item) => words[item * wordsPerKey + word]! >>> DIGIT_BITS);
  }
  return from;
}
