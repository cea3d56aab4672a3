// One import from start to end: read the input with its format's parser, hand each line's verdict to
// the importer, and write in batches. The store is opened when the first batch is due, so an input
// with nothing to import (the wrong file, the wrong format) leaves it untouched. With --strict a
// first pass reads everything and writes nothing, so one bad line anywhere leaves the store as it was.
// Input is streamed, never held whole: what must be read as a file but can be read only once is
// copied to a private file first (bounded, see input.ts), and a fail2ban database is read from a
// private copy, row by row.

import { OperationalError, StickybanError, UsageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { BulkWrites } from '../store/bulk.js';
import { describeRow, Fail2banDb, rowOutcome, type Fail2banRow } from './fail2ban-db.js';
import { Fail2banLogParser } from './fail2ban-log.js';
import { isLineFormat, type ImportFormat } from './formats.js';
import { Importer, type ImportResult, type ImportSettings } from './importer.js';
import type { Input } from './input.js';
import { IptablesSaveParser } from './iptables-save.js';
import { lineBatches, MAX_LINE } from './lines.js';
import { isCandidate, type LineOutcome } from './outcome.js';
import type { LineParser } from './parser.js';
import { parsePlainLine } from './plain.js';
import { PrivateTemp } from '../files/private-temp.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { spill } from './spill.js';
import { count } from '../input/plural.js';

export interface ImportJob {
  readonly input: Input;
  readonly format: ImportFormat;
  /** iptables-save: the chain whose rules are the blocklist. */
  readonly chain: string;
  readonly settings: ImportSettings;
  readonly busyTimeoutMs: number;
  /** A progress display for the write pass: reading, then writing each window. */
  readonly progress: (position: () => number, total: number | undefined) => Progress;
}

/**
 * Where the rows or lines are read from, and what to remove afterwards. What can be read only once
 * goes to a private file first, when it must be read as a file (twice for --strict, or by SQLite).
 */
export type Prepared = ({ readonly kind: 'lines'; readonly input: Input } | { readonly kind: 'rows'; readonly db: Fail2banDb }) & {
  /** Closes the database and removes the private copies, if any. */
  close(): void;
};

/** The first bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export async function prepare(job: ImportJob, strict: boolean): Promise<Prepared> {
  const { input } = job;
  if (isLineFormat(job.format) && !(strict && input.size === undefined)) return { kind: 'lines', input, close: () => input.close() };
  const temp = PrivateTemp.create();
  try {
    if (isLineFormat(job.format)) {
      const copy = await spill(input, temp.file('input'));
      return {
        kind: 'lines',
        input: copy,
        close: () => {
          copy.close();
          input.close();
          temp.remove();
        },
      };
    }
    const copy = temp.database('fail2ban.sqlite3');
    let db: Fail2banDb;
    if (input.file !== undefined) {
      db = Fail2banDb.copied(input.file, copy, input.name, job.busyTimeoutMs);
    } else {
      // /dev/zero is refused on its first bytes, not after a gigabyte of them.
      await spill(input, copy, { header: SQLITE_HEADER, refusal: `${input.name} is not a fail2ban database: it is not an SQLite file` });
      db = Fail2banDb.open(copy, input.name);
    }
    return {
      kind: 'rows',
      db,
      close: () => {
        db.close();
        input.close();
        temp.remove();
      },
    };
  } catch (error) {
    try {
      input.close();
      temp.remove();
    } catch {
      // What went wrong first is what the import reports.
    }
    throw error;
  }
}

/** --strict's first pass: every verdict, nothing written. */
export async function check(job: ImportJob, prepared: Prepared): Promise<ImportResult> {
  const importer = new Importer(job.settings, false);
  if (prepared.kind === 'rows') {
    for (const row of prepared.db.rows()) acceptRow(importer, row);
    return importer.result();
  }
  try {
    await readLines(prepared.input, parserOf(job), importer, NO_PROGRESS, async () => undefined);
  } catch (error) {
    if (!(error instanceof ReadFailure)) throw error;
    throw new UsageError(`cannot read ${prepared.input.name} (after line ${error.line}): ${error.message}`);
  }
  return importer.result();
}

export interface Written {
  readonly result: ImportResult;
  /** The store, if anything had to be written; the caller closes it. */
  readonly store: Store | undefined;
}

/** The write pass. */
export async function write(openStore: () => Promise<Store>, job: ImportJob, prepared: Prepared, checkedLines?: number): Promise<Written> {
  const importer = new Importer(job.settings, true);
  let store: Store | undefined;
  let bulk: BulkWrites | undefined;
  let position = 0;
  const progress = prepared.kind === 'rows' ? job.progress(() => position, prepared.db.count) : job.progress(prepared.input.bytesRead, prepared.input.size);
  const flush = async (): Promise<void> => {
    if (importer.waiting === 0) return;
    if (store === undefined) {
      store = await openStore();
      bulk = new BulkWrites(store.db);
    }
    importer.writeTo(store, (written, total) => progress.writing(written, total));
  };
  const finish = async (): Promise<void> => {
    await flush();
    bulk?.finish();
  };
  const due = (): Promise<void> => (importer.waiting >= job.settings.windowSize ? flush() : Promise.resolve());
  try {
    if (prepared.kind === 'rows') {
      for (const row of prepared.db.rows()) {
        acceptRow(importer, row);
        if ((++position & 8191) === 0) progress.update(position);
        await due();
      }
    } else {
      try {
        await readLines(prepared.input, parserOf(job), importer, progress, due, checkedLines);
      } catch (error) {
        if (!(error instanceof ReadFailure)) throw error;
        // What was read is valid and worth keeping; a second run adds only the rest.
        await finish();
        throw new OperationalError(
          `reading ${prepared.input.name} failed after line ${error.line}: ${error.message}; ${count(importer.result().added, 'new ban')} from the lines before ${importer.result().added === 1 ? 'was' : 'were'} imported`,
        );
      }
    }
    await finish();
    return { result: importer.result(), store };
  } catch (error) {
    bulk?.end();
    store?.close();
    throw error;
  } finally {
    progress.done();
  }
}

const TOO_LONG = { error: `the line is longer than ${MAX_LINE} characters` };

/** A line over MAX_LINE (possibly cut, see lines.ts) is never a ban; as a comment or another rule it is what it is. */
function judged(text: string, outcome: LineOutcome): LineOutcome {
  return text.length > MAX_LINE && isCandidate(outcome) ? TOO_LONG : outcome;
}

class ReadFailure extends Error {
  constructor(
    readonly line: number,
    cause: unknown,
  ) {
    super((cause as Error).message);
  }
}

function acceptRow(importer: Importer, row: Fail2banRow): void {
  importer.accept(describeRow(row), `${String(row.jail)} ${String(row.ip)}`, rowOutcome(row));
}

/**
 * Reads the lines (the first `limit` of them: --strict's second pass takes exactly the lines its
 * first pass checked, not what a live log gained since); `due` writes what is waiting once the
 * window is full.
 */
async function readLines(input: Input, parser: LineParser, importer: Importer, progress: Progress, due: () => Promise<void>, limit = Infinity): Promise<void> {
  let line = 0;
  try {
    reading: for await (const batch of lineBatches(input.open())) {
      for (const text of batch) {
        if (line === limit) break reading;
        line++;
        importer.accept(line, text, judged(text, parser.parse(text)));
        if ((line & 8191) === 0) {
          progress.update(line);
          await due();
        }
      }
    }
  } catch (error) {
    // Only failures of reading itself (a truncated gzip, an I/O error); a store failure is not one.
    throw isStoreFailure(error) ? error : new ReadFailure(line, error);
  }
  parser.finish(input.name);
}

function isStoreFailure(error: unknown): boolean {
  if (error instanceof StickybanError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

function parserOf(job: ImportJob): LineParser {
  switch (job.format) {
    case 'plain':
      return { parse: parsePlainLine, finish: () => undefined };
    case 'fail2ban-log':
      return new Fail2banLogParser();
    case 'iptables-save':
      return new IptablesSaveParser(job.chain);
    case 'fail2ban-db':
      throw new Error('fail2ban-db is not read line by line');
  }
}
