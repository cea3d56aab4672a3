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
 * The first option given twice (`--bantime 1h --bantime 2h`), by its long name: both parsers
 * would take the last one without a word. Short names count as their long ones (`names`: short
 * letter to long name); what follows `--` is no option.
 */
export function repeatedOption(args: readonly string[], names: ReadonlyMap<string, string> = new Map()): string | undefined {
  const seen = new Set<string>();
  for (const arg of args) {
    if (arg === '--') return undefined;
    const long = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : /^-[A-Za-z]$/.test(arg) ? names.get(arg.slice(1)) : undefined;
    if (long === undefined || long === '') continue;
    if (seen.has(long)) return `--${long}`;
    seen.add(long);
  }
  return undefined;
}
