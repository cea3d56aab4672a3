/** "1 entry", "3 entries": a count and its noun, as the messages print them. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
