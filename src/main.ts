#!/usr/bin/env node
// Entry point. `stickyban ban` is fail2ban's hook and runs once per ban, so it takes a fast path
// that parses with node:util and never loads commander; every other verb goes through the full
// program. Both end in the same error-to-exit-code mapping.

import { parseArgs } from 'node:util';
import { reportFailure } from './cli/exit.js';
import { firstPositional, GLOBAL_OPTIONS, joinNegativeValues, parseArgsOptions } from './cli/options.js';
import { UsageError } from './errors.js';
import { quote } from './input/quote.js';

const args = process.argv.slice(2);

async function main(): Promise<void> {
  const wantsHelp = args.some((arg) => arg === '--help' || arg === '-h');
  if (firstPositional(args) === 'ban' && !wantsHelp) return banFastPath();
  const { runProgram } = await import('./cli/program.js');
  await runProgram(args);
}

async function banFastPath(): Promise<void> {
  const [{ BAN_OPTIONS }, { ban }, { createContext }] = await Promise.all([
    import('./commands/ban-options.js'),
    import('./commands/ban.js'),
    import('./cli/context.js'),
  ]);
  let parsed;
  try {
    const specs = [...GLOBAL_OPTIONS, ...BAN_OPTIONS];
    parsed = parseArgs({ args: joinNegativeValues(args, specs), options: parseArgsOptions(specs), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see stickyban ban --help)`);
  }
  const [, address, ...extra] = parsed.positionals;
  if (address === undefined) throw new UsageError('missing address: expected stickyban ban <ip|cidr> [--jail NAME]');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${quote(extra[0]!)}: stickyban ban takes one address`);
  const options = parsed.values as Record<string, string | boolean | undefined>;
  await ban(address, options, await createContext(options));
}

main().catch((error: unknown) => reportFailure(error, args.includes('--verbose') || args.includes('-v')));
