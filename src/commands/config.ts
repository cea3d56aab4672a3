// `stickyban config [KEY]`: the effective configuration (defaults, file, environment, flags), as
// TOML the config file accepts, or one value of it.

import type { Context } from './context.js';
import { configTable, configValue } from '../config/show.js';

export async function showConfig(key: string, ctx: Context): Promise<void> {
  const table = configTable(ctx.config);
  if (key !== '') {
    ctx.out.data(configValue(table, key));
    return;
  }
  const { stringify } = await import('../config/toml.js');
  const source = ctx.config.file === undefined ? 'no config file: the defaults' : ctx.config.file;
  ctx.out.data(`# effective configuration (${source}, then environment and flags)\n${stringify(table)}`);
}
