// `stickyban import <file> --format F`: what admins already have (fail2ban's database or log, a flat
// list, a legacy iptables chain) into the store, then into the live set if there is one.

import { hostname } from 'node:os';
import { protectedNetworks } from '../actions/lockout.js';
import type { Context } from './context.js';
import { OperationalError, UsageError } from '../errors.js';
import { parseJail } from '../input/names.js';
import { applyImport, type LiveOutcome } from '../actions/apply-import.js';
import { LiveOwed } from '../actions/live-owed.js';
import { parseImportFormat } from '../import/formats.js';
import { BATCH_SIZE, WINDOW_SIZE, type ImportResult } from '../import/importer.js';
import { openInput } from '../import/input.js';
import { DEFAULT_CHAIN, parseChain } from '../import/iptables-save.js';
import { NO_PROGRESS, ProgressBar } from '../import/progress.js';
import { describeProblem, LISTS, policyNote, problemUnit, summaryJson, summaryLine } from '../import/report.js';
import { check, prepare, write, type ImportJob, type Prepared } from '../import/run.js';
import { openStoreToWrite } from './open-store.js';
import { count } from '../input/plural.js';

export interface ImportOptions {
  readonly format?: string;
  readonly chain?: string;
  readonly jail?: string;
  readonly strict?: boolean;
  readonly force?: boolean;
  /** false with --no-apply. */
  readonly apply?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

/** Problems printed one per line; the rest are counted (--verbose or --json list them). */
const SHOWN = 20;

export async function importBans(file: string, options: ImportOptions, ctx: Context): Promise<void> {
  const format = parseImportFormat(options.format);
  if (options.chain !== undefined && format !== 'iptables-save') throw new UsageError('--chain applies to --format iptables-save only');
  if (options.jail !== undefined && !LISTS.includes(format)) {
    throw new UsageError(`--jail applies to lists (plain, iptables-save) only; fail2ban's ${format === 'fail2ban-db' ? 'rows' : 'lines'} name their own jail`);
  }
  const chain = parseChain(options.chain ?? DEFAULT_CHAIN);
  const jail = options.jail === undefined ? 'import' : parseJail(options.jail);
  const input = await openInput(file);
  const job: ImportJob = {
    input,
    format,
    chain,
    settings: {
      format,
      jail,
      bantime: -1,
      now: ctx.clock(),
      origin: hostname(),
      protected: options.force ? [] : protectedNetworks(ctx.env),
      batchSize: BATCH_SIZE,
      windowSize: WINDOW_SIZE,
    },
    busyTimeoutMs: ctx.config.busyTimeoutMs,
    progress: (position, total) =>
      process.stderr.isTTY && !options.quiet && !options.json
        ? new ProgressBar((text) => process.stderr.write(text), input.name, position, total)
        : NO_PROGRESS,
  };
  const prepared = await prepare(job, options.strict === true);
  let done = false;
  try {
    await importPrepared(job, prepared, options, ctx);
    done = true;
  } finally {
    // A failure to clean up is reported when nothing else went wrong; otherwise that is the news.
    try {
      prepared.close();
    } catch (error) {
      if (done) throw error;
    }
  }
}

async function importPrepared(job: ImportJob, prepared: Prepared, options: ImportOptions, ctx: Context): Promise<void> {
  const { input, format } = job;
  let checkedLines: number | undefined;
  if (options.strict) {
    const checked = await check(job, prepared);
    checkedLines = checked.read;
    if (checked.invalid > 0) {
      // An error is one line; the lines behind it are listed with --verbose (and --json).
      if (options.verbose) reportProblems(input.name, checked, options, ctx);
      const first = checked.problems[0]!;
      throw new UsageError(
        `${checked.invalid} invalid ${problemUnit(first, checked.invalid)} in ${input.name}, nothing was imported (--strict); the first: ${describeProblem(first)}`,
      );
    }
  }

  // Owed from its first write until its restore: an import killed in between leaves bans recorded
  // and not live, which the next check finds whatever the backend (see actions/live-owed.ts).
  let owed: LiveOwed | undefined;
  const open = async () => {
    const opened = await openStoreToWrite(ctx);
    if (options.apply !== false) owed = LiveOwed.begin(opened, `import of ${input.name}`);
    return opened;
  };
  const { result, store } = await write(open, job, prepared, checkedLines);
  try {
    // Nothing but invalid lines: the wrong file or the wrong --format, and nothing was written. An
    // error is one line; the lines behind it are listed with --verbose.
    const refused = result.found === 0 && result.invalid > 0;
    if (!refused || options.verbose) reportProblems(input.name, result, options, ctx);
    if (refused) throw new UsageError(`no ban found in ${input.name}, only ${result.invalid} invalid ${problemUnit(result.problems[0], result.invalid)}: is it ${format} input? (the first: ${describeProblem(result.problems[0]!)})`);
    let live: LiveOutcome = { state: 'unchanged' };
    if (store !== undefined) {
      try {
        live = await applyImport(store, ctx, result.added, options.apply !== false);
        // Unchecked (no root, a tool missing): the live set may still lag; the next check tells.
        if (live.state !== 'unchecked') owed?.end();
      } catch (error) {
        throw new OperationalError(
          `imported ${count(result.added, 'new ban')} from ${input.name}, but loading them into the live set failed: ${(error as Error).message}; run stickyban restore`,
        );
      }
    }
    const note = result.found > 0 ? policyNote(format, job.settings.jail, ctx.config.policy) : undefined;
    if (options.json) {
      ctx.out.data(`${JSON.stringify(summaryJson(input.name, format, result, live, note), null, 2)}\n`);
    } else {
      ctx.out.info(summaryLine(input.name, format, result));
      for (const line of result.ignoredLines) ctx.out.detail(`  ${describeProblem(line)} (ignored)`);
      if (note !== undefined) ctx.out.warn(note);
      reportLive(live, ctx);
    }
  } finally {
    store?.close();
  }
}

function reportProblems(name: string, result: ImportResult, options: ImportOptions, ctx: Context): void {
  const shown = options.verbose ? result.problems : result.problems.slice(0, SHOWN);
  for (const problem of shown) ctx.out.warn(`${name} ${describeProblem(problem)}`);
  const more = result.invalid - shown.length;
  if (more > 0) {
    ctx.out.warn(`${name}: ${more} more invalid ${problemUnit(result.problems[0], more)} not shown (--verbose or --json list the first ${result.problems.length})`);
  }
}

function reportLive(live: LiveOutcome, ctx: Context): void {
  const hint = 'run stickyban restore to block the imported addresses';
  switch (live.state) {
    case 'applied':
      ctx.out.info(`live set updated (${live.backend}): ${live.v4} IPv4 and ${live.v6} IPv6 entries`);
      break;
    case 'repaired':
      ctx.out.info(`live set brought back in line with the store (${live.problems}): ${live.v4} IPv4 and ${live.v6} IPv6 entries with ${live.backend}`);
      break;
    case 'no-live-set':
      ctx.out.info(`no live set yet: ${hint}`);
      break;
    case 'skipped':
      ctx.out.info(`live set not updated (--no-apply): ${hint}`);
      break;
    case 'unchecked':
      ctx.out.warn(`could not check the live set (${live.why}); ${hint}`);
      break;
    case 'unchanged':
      break;
  }
}
