/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = new ColumnWidths(headers);
  for (const row of rows) widths.fit(row);
  return [tableLine(widths.widths, headers), ...rows.map((row) => tableLine(widths.widths, row))].join('\n') + '\n';
}

/**
 * Column widths grown a row at a time, so that a listing too big to hold measures its rows in a
 * pass of their own before it prints them (and never spreads them into Math.max's arguments).
 */
export class ColumnWidths {
  readonly widths: number[];

  constructor(headers: readonly string[]) {
    this.widths = headers.map((header) => header.length);
  }

  fit(cells: readonly string[]): void {
    for (let i = 0; i < this.widths.length; i++) {
      const length = (cells[i] ?? '').length;
      if (length > this.widths[i]!) this.widths[i] = length;
    }
  }
}

/** One line of the table: every cell but the last padded to its column's width. */
export function tableLine(widths: readonly number[], cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += i === cells.length - 1 ? cells[i] : `${cells[i]!.padEnd(widths[i]!)}  `;
  return line.trimEnd();
}
