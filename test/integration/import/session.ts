// A store and a namespace per test, and the CLI run against them. Every import runs inside the
// namespace: after importing it inspects the live set, which must never be the host's.

import assert from 'node:assert/strict';
import { Netns } from '../../helpers/netns.js';
import type { CliResult } from '../../helpers/cli.js';
import { tempStore } from '../../helpers/store.js';

export interface Session {
  readonly netns: Netns;
  readonly db: string;
  /** Runs the CLI with --db; returns the result whatever the exit code. */
  run(args: readonly string[], input?: string): Promise<CliResult>;
  /** Runs the CLI with --db and asserts exit code 0; returns stdout. */
  ok(args: readonly string[], input?: string): Promise<string>;
}

export async function session(netns?: Netns, db = tempStore()): Promise<Session> {
  const ns = netns ?? (await Netns.create());
  const run = (args: readonly string[], input?: string) =>
    ns.cli(['--db', db, ...args], input === undefined ? { env: { TZ: 'UTC' } } : { env: { TZ: 'UTC' }, input });
  return {
    netns: ns,
    db,
    run,
    async ok(args, input) {
      const result = await run(args, input);
      assert.equal(result.code, 0, `stickyban ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout;
    },
  };
}

export interface ImportJson {
  file: string;
  format: string;
  source: string;
  read: number;
  found: number;
  added: number;
  duplicates: number;
  invalid: number;
  ignored: number;
  invalid_lines: Array<{ line?: number; row?: string; text: string; error: string }>;
  ignored_lines: Array<{ line?: number; text: string; error: string }>;
  live: { state: string };
}

export async function importJson(s: Session, args: readonly string[], input?: string): Promise<ImportJson> {
  return JSON.parse(await s.ok(['import', ...args, '--json'], input)) as ImportJson;
}
