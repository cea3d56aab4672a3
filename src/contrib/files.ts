// What `install-contrib` puts where. Paths are absolute as on the host; --root prefixes them.

export interface ContribFile {
  /** Under the package's contrib/ folder. */
  readonly source: string;
  readonly target: string;
  readonly mode: number;
  /** Installed only when asked for (see install-contrib --cron). */
  readonly optional?: 'cron';
}

export const CONTRIB_FILES: readonly ContribFile[] = [
  { source: 'fail2ban/action.d/stickyban.py', target: '/etc/fail2ban/action.d/stickyban.py', mode: 0o644 },
  { source: 'fail2ban/action.d/stickyban.conf', target: '/etc/fail2ban/action.d/stickyban.conf', mode: 0o644 },
  { source: 'systemd/stickyban-restore.service', target: '/etc/systemd/system/stickyban-restore.service', mode: 0o644 },
  { source: 'systemd/stickyban.service', target: '/etc/systemd/system/stickyban.service', mode: 0o644 },
  { source: 'systemd/stickyban-prune.service', target: '/etc/systemd/system/stickyban-prune.service', mode: 0o644 },
  { source: 'systemd/stickyban-prune.timer', target: '/etc/systemd/system/stickyban-prune.timer', mode: 0o644 },
  { source: 'netfilter-persistent/plugins.d/stickyban', target: '/usr/share/netfilter-persistent/plugins.d/05-stickyban', mode: 0o755 },
  { source: 'netfilter-persistent/plugins.d/stickyban', target: '/usr/share/netfilter-persistent/plugins.d/60-stickyban', mode: 0o755 },
  { source: 'examples/config.toml', target: '/etc/stickyban/config.toml.example', mode: 0o644 },
  { source: 'cron.d/stickyban', target: '/etc/cron.d/stickyban', mode: 0o644, optional: 'cron' },
];

/**
 * Units enabled and started after installing into the running system, and units stopped so that
 * nothing prunes twice. Always the restore (PartOf= and ReloadPropagatedFrom= act only on an active
 * unit, so it must run now, not from the next boot); then the daemon, which takes fail2ban's bans
 * over its socket, heals and prunes (the default); or, without it, the daily prune timer; or, with
 * the cron file, neither.
 */
export function unitsToEnable(options: { readonly cron?: boolean; readonly daemon?: boolean }): { enable: string[]; disable: string[] } {
  if (options.cron) return { enable: ['stickyban-restore.service'], disable: ['stickyban.service', 'stickyban-prune.timer'] };
  if (options.daemon === false) return { enable: ['stickyban-restore.service', 'stickyban-prune.timer'], disable: ['stickyban.service'] };
  return { enable: ['stickyban-restore.service', 'stickyban.service'], disable: ['stickyban-prune.timer'] };
}

/** Where install-contrib remembers what it wrote, to tell its own files from an admin's edits. */
export const MANIFEST = '/var/lib/stickyban/contrib.json';
