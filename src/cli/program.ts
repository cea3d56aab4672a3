// The full command-line program (every verb; `ban` also has a fast path in main.ts). Each command's
// module is imported when it runs, so `stickyban list` does not load the restore machinery.

import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { BAN_OPTIONS } from '../commands/ban-options.js';
import { RESTORE_OPTIONS } from '../commands/restore-options.js';
import { createContext, type Context } from '../commands/context.js';
import { exitAs, exitOnOutputError } from './exit.js';
import { GLOBAL_OPTIONS, type OptionSpec } from '../commands/option-spec.js';
import { commanderFlags, contradictedOption } from './options.js';

/** Commander's parsed options: strings and flags, which each command validates itself. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Options = Record<string, any>;
/** Runs a command with its own options, the context and its argument (if it takes one), or all of them (`<address...>`). */
type Run = (options: Options, ctx: Context, argument: string, args: readonly string[]) => Promise<void>;

function withOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) command.addOption(new Option(commanderFlags(spec), spec.description));
  return command;
}

/**
 * Commander takes the token after an option that wants a value as its value, whatever it is:
 * `safelist add X --note --fail2ban` made "--fail2ban" the note, and fail2ban was never told. As
 * the fast path (main.ts) does, a value that starts with '-' must be written --option=VALUE; a
 * negative number (--bantime -1) is a value. And an option given twice with two values is refused,
 * where the last one won without a word.
 */
function refuseAmbiguousOptions(command: Command): void {
  let root = command;
  while (root.parent) root = root.parent;
  // Long names without their dashes; short letters to their long names.
  const valued = new Set<string>();
  const shorts = new Map<string, string>();
  for (let at: Command | null = command; at; at = at.parent) {
    for (const option of at.options) {
      if (!option.long) continue;
      if (option.required) valued.add(option.long.slice(2));
      if (option.short) shorts.set(option.short.slice(1), option.long.slice(2));
    }
  }
  const tokens = (root as Command & { rawArgs: string[] }).rawArgs;
  for (let i = 0; i + 1 < tokens.length && tokens[i] !== '--'; i++) {
    const next = tokens[i + 1]!;
    if (tokens[i]!.startsWith('--') && valued.has(tokens[i]!.slice(2)) && next.startsWith('-') && !/^-\d/.test(next)) {
      throw new UsageError(`a value of ${tokens[i]} that starts with '-' is written ${tokens[i]}=VALUE (see stickyban ${verbOf(command)} --help)`);
    }
  }
  const twice = contradictedOption(tokens, valued, shorts);
  if (twice !== undefined) throw new UsageError(`${twice} is given twice, with two values; give it once (see stickyban ${verbOf(command)} --help)`);
}

/** The words that name a command (`safelist add`). */
function verbOf(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

/** An action: the context from the global options (and --backend), then the command. */
function action(run: Run) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    refuseAmbiguousOptions(command);
    const options = command.optsWithGlobals() as Options;
    await run(options, await createContext(options), command.args[0] ?? '', command.args);
  };
}

export function buildProgram(): Command {
  const program = new Command('stickyban')
    .description('Persistent IP blocklist for fail2ban hosts: bans survive firewall reloads and reboots.')
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  withOptions(program, GLOBAL_OPTIONS);

  program
    .command('init')
    .description('create the store (the install runs it; no other command creates one)')
    .action(action(async (_options, ctx) => (await import('../commands/init.js')).init(ctx)));

  withOptions(program.command('ban <address...>').description('record bans and block them at once (fail2ban actionban); every address is checked before any is recorded'), BAN_OPTIONS).action(
    action(async (options, ctx, _address, addresses) => (await import('../commands/ban.js')).ban(addresses, options, ctx)),
  );

  program
    .command('unban <address...>')
    .description('lift the permanent ban of addresses or of every block inside CIDRs; every address is checked before any is lifted')
    .option('--jail <NAME>', 'lift only the bans of this jail')
    .option('--fail2ban', "lift fail2ban's own ban too (fail2ban-client unban; with --jail, set JAIL unbanip)")
    .option('--fleet', 'lift it on every host of the fleet too (the admin role appends it to the shared log)')
    .option('--fleet-url <URI>', 'the fleet database as its admin role (implies --fleet; default [fleet] url)')
    .action(action(async (options, ctx, _address, addresses) => (await import('../commands/unban.js')).unban(addresses, options, ctx)));

  const safelist = program.command('safelist').description('addresses and ranges that are never blocked');
  safelist
    .command('add <address>')
    .description('safelist an address or CIDR; removes it from the live set at once')
    .option('--note <TEXT>', 'why it is safelisted')
    .option('--fail2ban', "add it to the ignore list of every running jail of fail2ban and lift fail2ban's bans inside it (always with [fail2ban] sync_ignoreip)")
    .option('--fleet', 'safelist it on every host of the fleet too (the admin role appends it to the shared log)')
    .option('--fleet-url <URI>', 'the fleet database as its admin role (implies --fleet; default [fleet] url)')
    .action(action(async (options, ctx, address) => (await import('../commands/safelist.js')).safelistAdd(address, options, ctx)));
  safelist
    .command('remove <address>')
    .description('remove exactly this entry from the safelist')
    .option('--fail2ban', 'take it out of the ignore list of every running jail of fail2ban (always with [fail2ban] sync_ignoreip)')
    .option('--fleet', 'remove it on every host of the fleet too (the admin role appends it to the shared log)')
    .option('--fleet-url <URI>', 'the fleet database as its admin role (implies --fleet; default [fleet] url)')
    .action(action(async (options, ctx, address) => (await import('../commands/safelist.js')).safelistRemove(address, options, ctx)));
  safelist
    .command('list')
    .description('show the safelist (store, config file and built-in)')
    .option('--json', 'print JSON')
    .action(action(async (options, ctx) => (await import('../commands/safelist.js')).safelistList(options, ctx)));

  program
    .command('list')
    .description('banned addresses and blocks with their status')
    .option('--json', 'print JSON')
    .option('--jail <NAME>', 'only blocks banned by this jail')
    .option('--family <4|6>', 'only IPv4 or IPv6')
    .option('--status <S>', 'only blocks of this status: permanent, temporary, pending, expired or safelisted (a block partly safelisted is both permanent and safelisted)')
    .option('--since <WHEN>', 'only blocks banned since then: a duration back from now (2h, 7d) or a time (2026-11-21, 2026-11-21T09:00:00Z)')
    .option('--address <IP|CIDR>', 'only blocks that meet it: those that hold it and those inside it')
    .option('--live', 'read the live set too (one listing of it): whether the kernel blocks each block (JSON "blocked", column LIVE)')
    .action(action(async (options, ctx) => (await import('../commands/list.js')).list(options, ctx)));

  program
    .command('show <address>')
    .description('status and ban history of one address or block')
    .option('--json', 'print JSON')
    .action(action(async (options, ctx, address) => (await import('../commands/show.js')).show(address, options, ctx)));

  program
    .command('stats')
    .description('counts per family, jail and source; the last restore')
    .option('--json', 'print JSON')
    .action(action(async (options, ctx) => (await import('../commands/stats.js')).stats(options, ctx)));

  withOptions(program.command('restore').description('rebuild the live blocklist from the store (after a firewall reload, at boot)'), RESTORE_OPTIONS).action(action(async (options, ctx) => (await import('../commands/restore.js')).restore(options, ctx)));

  program
    .command('prune')
    .description('apply the retention policy: drop addresses last banned longer ago than the retention')
    .option('--older-than <DURATION>', 'instead of the configured retention, e.g. 90d, 12h, 2w')
    .option('--include-manual', 'prune manual bans and bans meant forever (bantime -1) too; kept by default')
    .option('--dry-run', 'say what would be pruned and change nothing (--verbose lists them)')
    .option('--json', 'print the outcome as one JSON object (its line as "summary", and its figures)')
    .action(action(async (options, ctx) => (await import('../commands/prune.js')).pruneCommand(options, ctx)));

  program
    .command('import <file>')
    .description('import bans from fail2ban (database or log), a plain list or an iptables-save chain; "-" reads stdin')
    .option('--format <F>', 'fail2ban-db, fail2ban-log, plain or iptables-save')
    .option('--chain <NAME>', 'iptables-save: the chain whose "-s ADDR -j DROP|REJECT" rules are imported (default Blocklist)')
    .option('--jail <NAME>', 'plain, iptables-save: jail to record the entries under (default import)')
    .option('--strict', 'fail on any invalid line (exit 2, nothing written)')
    .option('--force', 'import even loopback, this host or your SSH client')
    .option('--no-apply', 'do not update the live set afterwards')
    .option('--json', 'print the summary as JSON')
    .action(action(async (options, ctx, file) => (await import('../commands/import.js')).importBans(file, options, ctx)));

  program
    .command('export')
    .description('print the planned permanent list (safelist applied) for other tools')
    .option('--format <F>', 'plain (default), ipset, nft or json')
    .option('--family <4|6>', 'only IPv4 or IPv6')
    .action(action(async (options, ctx) => (await import('../commands/export.js')).exportBans(options, ctx)));

  program
    .command('daemon')
    .description('run the prune schedule, self-heal the blocklist after foreign reloads, write metrics')
    .option('--heal-interval <DURATION>', 'how often to check the blocklist is in place (default 30s)')
    .option('--metrics-file <PATH>', 'write Prometheus metrics there (node_exporter textfile collector)')
    .action(action(async (options, ctx) => (await import('../commands/daemon.js')).daemon(options, ctx)));

  const fleet = program.command('fleet').description('share bans with other hosts through PostgreSQL (see README, "Fleet")');
  fleet
    .command('init')
    .description('create or upgrade the fleet schema in the database (as its admin role)')
    .option('--url <URI>', 'the database as its admin role (default [fleet] url)')
    .action(action(async (options, ctx) => (await import('../commands/fleet.js')).fleetInit(options, ctx)));
  fleet
    .command('add-host <name>')
    .description('create the login role of one host: it reads the log and appends its own bans, nothing else')
    .option('--url <URI>', 'the database as its admin role (default [fleet] url)')
    .option('--password-file <PATH>', 'write the new password there (created 0600) instead of printing it')
    .action(action(async (options, ctx, name) => (await import('../commands/fleet.js')).fleetAddHost(name, options, ctx)));
  fleet
    .command('status')
    .description("this host's position and lag, events waiting to be published, every host's last sight")
    .option('--json', 'print JSON')
    .action(action(async (options, ctx) => (await import('../commands/fleet.js')).fleetStatus(options, ctx)));
  fleet
    .command('sync')
    .description('push the local events and pull the fleet\'s once (for hosts on a timer instead of the daemon)')
    .action(action(async (options, ctx) => (await import('../commands/fleet.js')).fleetSync(options, ctx)));

  program
    .command('doctor')
    .description('check tools, store, live blocklist, fail2ban action and safelist; exit 1 on any FAIL')
    .option('--json', 'print JSON')
    .action(action(async (options, ctx) => (await import('../commands/doctor.js')).doctor(options, ctx)));

  program
    .command('config [key]')
    .description('print the effective configuration as TOML, or the value of one key (e.g. ipset.set4)')
    .action(action(async (_options, ctx, key) => (await import('../commands/config.js')).showConfig(key, ctx)));

  program
    .command('install-contrib')
    .description('install the fail2ban action, systemd units and netfilter-persistent plugin (idempotent)')
    .option('--root <DIR>', 'install under DIR instead of /')
    .option('--cron', 'also install /etc/cron.d/stickyban and use it instead of the daemon or the prune timer')
    .option('--no-daemon', 'enable the daily prune timer instead of the daemon')
    .action(action(async (options, ctx) => (await import('../commands/install-contrib.js')).installContrib(options, ctx)));

  return program;
}

export async function runProgram(args: readonly string[]): Promise<void> {
  process.stdout.on('error', exitOnOutputError);
  const program = buildProgram();
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here too, with exit code 0.
    if (error.exitCode === 0) return;
    // A command without its subcommand (`stickyban`, `stickyban safelist`): the help is printed
    // already, on stderr; it is a usage error, with nothing more to say.
    if (error.code === 'commander.help') {
      exitAs('invalid');
      return;
    }
    // Commander puts its "(Did you mean …?)" on a line of its own; an error is one line.
    throw new UsageError(`${error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (see stickyban --help)`);
  }
}
