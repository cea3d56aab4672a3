import { clockFromEnv, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config/config.js';
import { run, type Runner } from '../exec/run.js';
import type { GlobalOptions } from './option-spec.js';
import { consoleOutput, type Output } from './output.js';

/** Everything a command needs from the outside world, passed in so tests can replace any of it. */
export interface Context {
  readonly config: Config;
  readonly clock: Clock;
  readonly runner: Runner;
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The context of one run. The config is the configuration's own: restore's --backend is restore's
 * to apply (the backend the config names is recorded with each restore).
 */
export async function createContext(globals: GlobalOptions): Promise<Context> {
  const env = process.env;
  return {
    config: await loadConfig({ config: globals.config, db: globals.db }, env),
    clock: clockFromEnv(env),
    runner: run,
    out: consoleOutput(globals),
    env,
  };
}
