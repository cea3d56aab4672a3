/**
 * A JSON array of rows that come a page at a time, written as they come: the text of
 * JSON.stringify(rows, null, 2) when `element` writes a row as JSON.stringify(row, null, 2) does
 * inside an array, and one row per line when it writes `  ${JSON.stringify(row)}`.
 */
export function* jsonArray<T>(pages: Iterable<readonly T[]>, element: (row: T) => string): Generator<string> {
  let first = true;
  for (const page of pages) {
    if (page.length === 0) continue;
    yield `${first ? '[\n' : ',\n'}${page.map(element).join(',\n')}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

/** An element as JSON.stringify(rows, null, 2) writes it. */
export function indentedElement(row: unknown): string {
  return `  ${JSON.stringify(row, null, 2).replace(/\n/g, '\n  ')}`;
}

/** An element on a line of its own: an array of millions stays greppable. */
export function lineElement(row: unknown): string {
  return `  ${JSON.stringify(row)}`;
}
