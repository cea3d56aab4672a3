import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from './context.js';
import { CONTRIB_FILES, MANIFEST, unitsToEnable } from '../contrib/files.js';
import { installFiles, type InstallOutcome } from '../contrib/install.js';
import { OperationalError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { packageRoot } from '../package-root.js';
import { replacedBytes } from '../input/path-text.js';

export interface InstallContribOptions {
  /** Install under this directory instead of / (packaging, tests). */
  readonly root?: string;
  /** Also install /etc/cron.d/stickyban (no daemon, no timer). */
  readonly cron?: boolean;
  /** false: the daily prune timer instead of the daemon. */
  readonly daemon?: boolean;
}

const VERB: Record<InstallOutcome, string> = {
  installed: 'installed',
  updated: 'updated',
  unchanged: 'unchanged',
  'kept-edited': 'kept your edited',
};

/** Installs the fail2ban action, systemd units, netfilter-persistent plugin and examples. */
export async function installContrib(options: InstallContribOptions, ctx: Context): Promise<void> {
  if (options.root === '') throw new UsageError('invalid --root "": expected a directory');
  const replaced = options.root === undefined ? undefined : replacedBytes(options.root);
  if (replaced) throw new UsageError(`invalid --root ${quote(options.root!)}: ${replaced}`);
  // Cron replaces both the daemon and the prune timer; asking for the timer too names two schedules.
  if (options.cron && options.daemon === false) throw new UsageError('--cron and --no-daemon choose two ways to prune: expected one of them (--cron: cron.d only; --no-daemon: the daily prune timer)');
  // Like DESTDIR: the root is created if needed, files go under it, nothing is enabled.
  const root = resolve(options.root ?? '/');
  if (root === '/' && process.getuid?.() !== 0) {
    throw new OperationalError('install-contrib writes to /etc and /usr/share and needs root; run it as root, or pass --root DIR');
  }
  if (existsSync(root) && !statSync(root).isDirectory()) throw new UsageError(`invalid --root ${quote(options.root ?? root)}: it is not a directory`);
  const files = CONTRIB_FILES.filter((file) => !file.optional || (file.optional === 'cron' && options.cron));
  let results;
  try {
    results = installFiles(files, join(packageRoot(), 'contrib'), root, MANIFEST);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw error;
    throw new OperationalError(`cannot install into ${root}: ${(error as Error).message}`);
  }
  for (const { target, outcome } of results) {
    const shown = join(root, target);
    ctx.out.info(outcome === 'kept-edited' ? `kept your edited ${shown}; the new version is ${shown}.stickyban-new` : `${VERB[outcome]} ${shown}`);
  }
  if (root === '/' && existsSync('/run/systemd/system')) {
    await ctx.runner('systemctl', ['daemon-reload'], { context: 'reloading systemd' });
    const { enable, disable } = unitsToEnable(options);
    // What an earlier install enabled and this one replaces would prune as well.
    await ctx.runner('systemctl', ['disable', '--now', ...disable], { allowFailure: true });
    await ctx.runner('systemctl', ['enable', '--now', ...enable], { context: 'enabling stickyban units' });
    ctx.out.info(`enabled and started ${enable.join(' and ')}`);
  }
  ctx.out.info('to record fail2ban bans, add the stickyban.py action to your jails (see contrib/examples/jail.local)');
}
