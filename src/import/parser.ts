import type { LineOutcome } from './outcome.js';

/** Reads one text format line by line. */
export interface LineParser {
  parse(line: string): LineOutcome;
  /** Called after the last line; throws a UsageError when the input was not this format at all. */
  finish(file: string): void;
}
