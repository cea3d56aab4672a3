import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './cli.js';

/**
 * A `stickyban` executable bound to one store, for the places that call stickyban by path
 * (the fail2ban action, the netfilter-persistent plugin, the systemd unit).
 */
export function stickybanWrapper(dir: string, db: string, options: { config?: string; callLog?: string } = {}): string {
  const path = join(dir, 'stickyban');
  const configArgs = options.config ? ` --config '${options.config}'` : '';
  // With callLog, every call appends its arguments: tests wait on that instead of sleeping.
  const log = options.callLog ? `echo "$*" >> '${options.callLog}'\n` : '';
  // Callers such as fail2ban or systemd may not pass the test run's environment on.
  const cache = process.env.STICKYBAN_CODE_CACHE ? `export STICKYBAN_CODE_CACHE='${process.env.STICKYBAN_CODE_CACHE}'\n` : '';
  writeFileSync(path, `#!/bin/sh\n${log}${cache}exec '${process.execPath}' '${CLI}' --db '${db}'${configArgs} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}
