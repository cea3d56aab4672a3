import type { OptionSpec } from './option-spec.js';

export const RESTORE_OPTIONS: readonly OptionSpec[] = [
  { name: 'dry-run', description: 'show the plan and change nothing (--verbose lists the entries)' },
  { name: 'if-missing', description: 'restore only if a set, the chain, its rule or a jump is missing' },
  { name: 'backend', value: 'NAME', description: 'ipset (default), nftables or route' },
  { name: 'rebuild', description: 'load every set whole (a temporary set, then a swap), even one in place that only needs a few changes' },
  { name: 'force', description: 'restore even when the store plans nothing and the live set holds entries: empties it' },
  { name: 'trigger', value: 'NAME', description: 'what asked for it, recorded for stats and doctor (default restore): boot, daemon, a hook name' },
];
