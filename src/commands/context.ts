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

/** The context of one run; `backend` is restore's --backend. */
export async function createContext(globals: GlobalOptions & { backend?: unknown }): Promise<Context> {
  const env = process.env;
  const backend = typeof globals.backend === 'string' ? globals.backend : undefined;
  return {
    config: await loadConfig({ config: globals.config, db: globals.db, backend }, env),
    clock: clockFromEnv(env),
    runner: run,
    out: consoleOutput(globals),
    env,
  };
}
