// Options are declared once as data: commander builds --help and parsing from them, and the ban
// hook's fast path (which skips loading commander) parses the same declarations with node:util.

export interface OptionSpec {
  /** Long name without dashes. */
  readonly name: string;
  readonly short?: string;
  /** Placeholder of the value; absent for a flag. */
  readonly value?: string;
  readonly description: string;
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'db', value: 'PATH', description: 'SQLite store (default /var/lib/stickyban/stickyban.db, or $STICKYBAN_DB)' },
  { name: 'config', value: 'PATH', description: 'config file (default /etc/stickyban/config.toml, optional)' },
  { name: 'quiet', short: 'q', description: 'print only errors' },
  { name: 'verbose', short: 'v', description: 'print more detail' },
];

export interface GlobalOptions {
  readonly db?: string;
  readonly config?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

export function commanderFlags(spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '';
  return `${short}--${spec.name}${spec.value ? ` <${spec.value}>` : ''}`;
}

export function parseArgsOptions(specs: readonly OptionSpec[]): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  return Object.fromEntries(
    specs.map((spec) => [spec.name, { type: spec.value ? 'string' : 'boolean', ...(spec.short ? { short: spec.short } : {}) }]),
  );
}

/** The first word that is not an option or an option's value: the verb. */
export function firstPositional(args: readonly string[], specs: readonly OptionSpec[] = GLOBAL_OPTIONS): string | undefined {
  const takesValue = new Set(specs.filter((spec) => spec.value).flatMap((spec) => [`--${spec.name}`, ...(spec.short ? [`-${spec.short}`] : [])]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (takesValue.has(arg)) i++;
  }
  return undefined;
}
