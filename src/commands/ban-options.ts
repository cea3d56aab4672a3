import type { OptionSpec } from './option-spec.js';

export const BAN_OPTIONS: readonly OptionSpec[] = [
  { name: 'jail', value: 'NAME', description: 'jail that banned it (default: manual)' },
  { name: 'bantime', value: 'SECONDS', description: "fail2ban's bantime: seconds, -1 for forever, or a duration such as 1h" },
  { name: 'reason', value: 'TEXT', description: 'why, shown by list and show' },
  { name: 'source', value: 'NAME', description: 'who bans: fail2ban, manual (default) or a script name' },
  { name: 'duration', value: 'DURATION', description: 'a temporary ban: it stops blocking after DURATION (e.g. 2h, 7d); without it a ban is permanent' },
  { name: 'restored', value: '0|1', description: "fail2ban's <restored>: 1 when fail2ban replays a ban after a restart" },
  { name: 'time', value: 'SECONDS', description: "fail2ban's <time>: when it began the ban; a replay is recorded at that time, and never blocks an address unbanned since" },
  { name: 'event-id', value: 'UUID', description: "the event's id, so a ban handed over twice is recorded once (the fail2ban action sets it)" },
  { name: 'force', description: 'ban even this host or your SSH client (loopback and safelisted ranges are recorded, never blocked)' },
  { name: 'direct', description: 'record it here, without asking the daemon (the fail2ban action, once the daemon did not answer)' },
];
