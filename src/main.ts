// Entry point. The verbs that machines run, often and in a hurry, take a fast path that parses with
// node:util and never loads commander: `ban` (fail2ban's hook, once per ban, sometimes hundreds at
// once) and `restore` (every firewall reload and boot). Every other verb, and --help, goes through
// the full program. Both end in the same error-to-exit-code mapping.

import { parseArgs } from 'node:util';
import { exitNow, reportFailure } from './cli/exit.js';
import { firstPositional, joinNegativeValues, parseArgsOptions, contradictedOption } from './cli/options.js';
import { GLOBAL_OPTIONS, type OptionSpec } from './commands/option-spec.js';
import type { Context } from './commands/context.js';
import { UsageError } from './errors.js';
import { quote } from './input/quote.js';

type Options = Record<string, string | boolean | undefined>;

interface FastVerb {
  /** The verb's own options (the global ones are added). */
  options(): Promise<readonly OptionSpec[]>;
  /** Whether it takes one or more arguments after the verb (else none), and what it says when none is given. */
  readonly argument?: string;
  run(args: readonly string[], options: Options, ctx: Context): Promise<void>;
}

const FAST: Record<string, FastVerb> = {
  ban: {
    options: async () => (await import('./commands/ban-options.js')).BAN_OPTIONS,
    argument: 'missing address: expected stickyban ban <ip|cidr>... [--jail NAME]',
    run: async (addresses, options, ctx) => (await import('./commands/ban.js')).ban(addresses, options, ctx),
  },
  restore: {
    options: async () => (await import('./commands/restore-options.js')).RESTORE_OPTIONS,
    run: async (_args, options, ctx) => (await import('./commands/restore.js')).restore(options, ctx),
  },
};

const args = process.argv.slice(2);

async function main(): Promise<void> {
  const verb = firstPositional(args);
  const wantsHelp = args.some((arg) => arg === '--help' || arg === '-h');
  const fast = verb === undefined || wantsHelp ? undefined : FAST[verb];
  if (fast) {
    await runFast(verb!, fast);
    // Node's orderly teardown (unmapping the heap, unloading the SQLite addon) costs ~7 ms after a
    // restore, 5% of its run. Nothing is pending: the store is closed, the tools have exited, and
    // stdout and stderr are synchronous on Linux (files, pipes and terminals alike).
    exitNow();
  }
  const { runProgram } = await import('./cli/program.js');
  await runProgram(args);
}

async function runFast(verb: string, fast: FastVerb): Promise<void> {
  const [own, { createContext }] = await Promise.all([fast.options(), import('./commands/context.js')]);
  const specs = [...GLOBAL_OPTIONS, ...own];
  const valued = new Set(specs.filter((spec) => spec.value).map((spec) => spec.name));
  const twice = contradictedOption(args, valued, new Map(specs.flatMap((spec) => (spec.short ? [[spec.short, spec.name] as const] : []))));
  if (twice !== undefined) throw new UsageError(`${twice} is given twice, with two values; give it once (see stickyban ${verb} --help)`);
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, specs), options: parseArgsOptions(specs), allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    // parseArgs' own words do not say what to write instead.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message)?.[1];
    // Its advice on positionals that start with '-' fits no address, and its quotes do not pair.
    const unknown = /^Unknown option '([^']*)'/.exec(message)?.[1];
    const said = ambiguous ? `a value of ${ambiguous} that starts with '-' is written ${ambiguous}=VALUE` : unknown !== undefined ? `unknown option '${unknown}'` : message;
    throw new UsageError(`${said} (see stickyban ${verb} --help)`);
  }
  const given = parsed.positionals.slice(1);
  if (fast.argument !== undefined && given.length === 0) throw new UsageError(fast.argument);
  if (fast.argument === undefined && given.length > 0) throw new UsageError(`unexpected argument ${quote(given[0]!)}: stickyban ${verb} takes none`);
  // Options arrive in commander's camelCase, as the commands expect them.
  const options = Object.fromEntries(Object.entries(parsed.values).map(([name, value]) => [name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase()), value])) as Options;
  await fast.run(given, options, await createContext(options));
}

const verbose = args.includes('--verbose') || args.includes('-v');
// A failure that escapes its promise chain is still one line and exit 1, never Node's stack dump.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    reportFailure(error, verbose);
    exitNow();
  });
}
main().catch((error: unknown) => reportFailure(error, verbose));
