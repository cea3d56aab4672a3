/** Results go to stdout, diagnostics to stderr; --quiet keeps only errors, --verbose adds detail. */
export interface Output {
  /** A result line (stdout), suppressed by --quiet. */
  info(line: string): void;
  /** Extra detail (stdout), shown with --verbose only. */
  detail(line: string): void;
  /** Something the admin should know (stderr), even with --quiet. */
  warn(line: string): void;
  /** Data for machines or pipes (stdout), never suppressed. */
  data(text: string): void;
  /**
   * data() a chunk at a time, waiting whenever the reader falls behind (a pager, a pipe to gzip).
   * Node does not block on a full pipe: it queues what the pipe cannot take, and a listing of
   * millions written at once would sit whole in memory.
   */
  stream(chunks: Iterable<string>): Promise<void>;
  readonly verbose: boolean;
  /** --quiet: nobody reads the results (fail2ban's hook); work done only to report them can be skipped. */
  readonly quiet: boolean;
}

export function consoleOutput(options: { quiet?: boolean | undefined; verbose?: boolean | undefined }): Output {
  const quiet = options.quiet === true;
  const verbose = options.verbose === true && !quiet;
  return {
    info: (line) => {
      if (!quiet) process.stdout.write(`${line}\n`);
    },
    detail: (line) => {
      if (verbose) process.stdout.write(`${line}\n`);
    },
    warn: (line) => process.stderr.write(`stickyban: ${line}\n`),
    data: (text) => process.stdout.write(text),
    stream: async (chunks) => {
      for (const chunk of chunks) if (!process.stdout.write(chunk)) await drained(process.stdout);
    },
    verbose,
    quiet,
  };
}

/** Until the stream has written what it queued. A failed write ends the process instead (cli/exit.ts). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once('drain', resolve));
}
