// Each verb's options, declared once as data: the CLI builds its parsers and --help from them
// (cli/options.ts), and the commands take the parsed values.

import { DEFAULT_CONFIG_FILE, DEFAULT_DB } from '../config/config.js';

export interface OptionSpec {
  /** Long name without dashes. */
  readonly name: string;
  readonly short?: string;
  /** Placeholder of the value; absent for a flag. */
  readonly value?: string;
  readonly description: string;
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'db', value: 'PATH', description: `SQLite store (default ${DEFAULT_DB}, or $STICKYBAN_DB)` },
  { name: 'config', value: 'PATH', description: `config file (default ${DEFAULT_CONFIG_FILE}, optional, or $STICKYBAN_CONFIG)` },
  { name: 'quiet', short: 'q', description: 'print only errors' },
  { name: 'verbose', short: 'v', description: 'print more detail' },
];

export interface GlobalOptions {
  readonly db?: string;
  readonly config?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}
