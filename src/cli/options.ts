// Options are declared once as data (commands/option-spec.ts): commander builds --help and parsing
// from them, and the ban hook's fast path (which skips loading commander) parses the same
// declarations with node:util.

import { GLOBAL_OPTIONS, type OptionSpec } from '../commands/option-spec.js';

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

/**
 * `--bantime -1`: node:util's parseArgs (the ban hook's parser) takes "-1" for an option, so a
 * negative number after an option that takes a value is joined to it (`--bantime=-1`). Commander,
 * for every other verb, already takes the word after such an option as its value.
 */
export function joinNegativeValues(args: readonly string[], specs: readonly OptionSpec[]): string[] {
  const takesValue = new Set(specs.filter((spec) => spec.value).map((spec) => `--${spec.name}`));
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * The first option that takes a value given twice with two values (`--bantime 1h --bantime 2h`),
 * by its long name: both parsers would take the last one without a word. The same value twice is
 * no contradiction (a wrapper that passes --config, and fail2ban's action that passes it too), nor
 * is a flag twice. `valued`: the long names that take a value; `shorts`: short letter to long name.
 */
export function contradictedOption(args: readonly string[], valued: ReadonlySet<string>, shorts: ReadonlyMap<string, string> = new Map()): string | undefined {
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    let name: string | undefined;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
      if (equals >= 0) value = arg.slice(equals + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) name = shorts.get(arg.slice(1));
    if (name === undefined || !valued.has(name)) continue;
    value ??= args[++i];
    if (value === undefined) continue;
    const before = given.get(name);
    if (before !== undefined && before !== value) return `--${name}`;
    given.set(name, value);
  }
  return undefined;
}
