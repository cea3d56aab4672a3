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
  readonly verbose: boolean;
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
    verbose,
  };
}
