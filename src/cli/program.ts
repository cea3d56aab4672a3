// The full command-line program (every verb; `ban` also has a fast path in main.ts). Commands are
// imported when they run, so `stickyban list` does not load the restore machinery.

import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { BAN_OPTIONS } from '../commands/ban-options.js';
import { createContext, type Context } from './context.js';
import { commanderFlags, GLOBAL_OPTIONS, type GlobalOptions, type OptionSpec } from './options.js';

type Action = (ctx: Context, command: Command) => Promise<void>;

function withOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) command.addOption(new Option(commanderFlags(spec), spec.description));
  return command;
}

/** Wraps an action: builds the context from the global options, then runs it. */
function action(run: Action, extra: (options: Record<string, unknown>) => { backend?: string } = () => ({})) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    await run(await createContext(options, extra(options)), command);
  };
}

export function buildProgram(): Command {
  const program = new Command('stickyban')
    .description('Persistent IP blocklist for fail2ban hosts: bans survive firewall reloads and reboots.')
    .version('0.1.0')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  withOptions(program, GLOBAL_OPTIONS);

  withOptions(program.command('ban <address>').description('record a ban and block it at once (fail2ban actionban)'), BAN_OPTIONS).action(
    action(async (ctx, command) => {
      const { ban } = await import('../commands/ban.js');
      await ban(command.args[0]!, command.opts(), ctx);
    }),
  );

  program
    .command('unban <address>')
    .description('lift the permanent ban of an address or of every block inside a CIDR')
    .option('--jail <NAME>', 'lift only the bans of this jail')
    .action(
      action(async (ctx, command) => {
        const { unban } = await import('../commands/unban.js');
        await unban(command.args[0]!, command.opts(), ctx);
      }),
    );

  const safelist = program.command('safelist').description('addresses and ranges that are never blocked');
  safelist
    .command('add <address>')
    .description('safelist an address or CIDR; removes it from the live set at once')
    .option('--note <TEXT>', 'why it is safelisted')
    .action(
      action(async (ctx, command) => {
        const { safelistAdd } = await import('../commands/safelist.js');
        await safelistAdd(command.args[0]!, command.opts(), ctx);
      }),
    );
  safelist
    .command('remove <address>')
    .description('remove exactly this entry from the safelist')
    .action(
      action(async (ctx, command) => {
        const { safelistRemove } = await import('../commands/safelist.js');
        await safelistRemove(command.args[0]!, ctx);
      }),
    );
  safelist
    .command('list')
    .description('show the safelist (store and config file)')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, command) => {
        const { safelistList } = await import('../commands/safelist.js');
        await safelistList(command.opts(), ctx);
      }),
    );

  program
    .command('restore')
    .description('rebuild the live blocklist from the store (after a firewall reload, at boot)')
    .option('--dry-run', 'show the plan and change nothing (--verbose lists the entries)')
    .option('--if-missing', 'restore only if a set, the chain, its rule or a jump is missing')
    .option('--backend <NAME>', 'ipset (default), nftables or route')
    .action(
      action(
        async (ctx, command) => {
          const { restore } = await import('../commands/restore.js');
          await restore(command.opts(), ctx);
        },
        (options) => ({ backend: options.backend as string | undefined }),
      ),
    );

  program
    .command('prune')
    .description('apply the retention policy: drop addresses last banned longer ago than the retention')
    .option('--older-than <DURATION>', 'instead of the configured retention, e.g. 90d, 12h, 2w')
    .option('--include-manual', 'prune manual bans and bans meant forever (bantime -1) too; kept by default')
    .option('--dry-run', 'say what would be pruned and change nothing (--verbose lists them)')
    .action(
      action(async (ctx, command) => {
        const { pruneCommand } = await import('../commands/prune.js');
        await pruneCommand(command.opts(), ctx);
      }),
    );

  program
    .command('daemon')
    .description('run the prune schedule, self-heal the blocklist after foreign reloads, write metrics')
    .option('--heal-interval <DURATION>', 'how often to check the blocklist is in place (default 30s)')
    .option('--metrics-file <PATH>', 'write Prometheus metrics there (node_exporter textfile collector)')
    .action(
      action(async (ctx, command) => {
        const { daemon } = await import('../commands/daemon.js');
        await daemon(command.optsWithGlobals(), ctx);
      }),
    );

  program
    .command('doctor')
    .description('check tools, store, live blocklist, fail2ban action and safelist; exit 1 on any FAIL')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, command) => {
        const { doctor } = await import('../commands/doctor.js');
        await doctor(command.opts(), ctx);
      }),
    );

  program
    .command('install-contrib')
    .description('install the fail2ban action, systemd units and netfilter-persistent plugin (idempotent)')
    .option('--root <DIR>', 'install under DIR instead of /')
    .option('--cron', 'also install /etc/cron.d/stickyban (instead of the systemd timer or the daemon)')
    .action(
      action(async (ctx, command) => {
        const { installContrib } = await import('../commands/install-contrib.js');
        await installContrib(command.opts(), ctx);
      }),
    );

  program
    .command('list')
    .description('banned addresses and blocks with their status')
    .option('--json', 'print JSON')
    .option('--jail <NAME>', 'only blocks banned by this jail')
    .option('--family <4|6>', 'only IPv4 or IPv6')
    .action(
      action(async (ctx, command) => {
        const { list } = await import('../commands/list.js');
        await list(command.opts(), ctx);
      }),
    );

  program
    .command('show <address>')
    .description('status and ban history of one address or block')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, command) => {
        const { show } = await import('../commands/show.js');
        await show(command.args[0]!, command.opts(), ctx);
      }),
    );

  program
    .command('stats')
    .description('counts per family, jail and source')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, command) => {
        const { stats } = await import('../commands/stats.js');
        await stats(command.opts(), ctx);
      }),
    );

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
    .action(
      action(async (ctx, command) => {
        const { importBans } = await import('../commands/import.js');
        await importBans(command.args[0]!, command.optsWithGlobals(), ctx);
      }),
    );

  program
    .command('export')
    .description('print the planned permanent list (safelist applied) for other tools')
    .option('--format <F>', 'plain (default), ipset, nft or json')
    .option('--family <4|6>', 'only IPv4 or IPv6')
    .action(
      action(async (ctx, command) => {
        const { exportBans } = await import('../commands/export.js');
        await exportBans(command.opts(), ctx);
      }),
    );

  return program;
}

export async function runProgram(args: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here too, with exit code 0.
    if (error.exitCode === 0) return;
    throw new UsageError(`${error.message.replace(/^error: /, '')} (see stickyban --help)`);
  }
}
