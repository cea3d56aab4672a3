// A thin wrapper around the nft binary: one method per verb, scripts on stdin (never in argv), the
// tool's own words in every error.
//
// Cost notes, measured with nft 1.0.6: listing a set reads back its elements, listing a chain those
// of the sets its rules use, listing a table those of all its sets (a 1M-address set: ~14 s).
// `nft list tables`, `nft list sets` and any `add/delete element` read back every interval set of the
// whole ruleset, in time that grows faster than their size (~70 s for one of 1M). Only
// `nft list chains` reads no elements, so existence is checked with it.

import { closeSync, mkdtempSync, openSync, readdirSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';

const TEMP_PREFIX = 'stickyban-nft-';

/**
 * The temporary files of loads whose process is gone (killed mid-load): each holds a copy of the
 * whole blocklist, on a tmpfs as often as not.
 */
function removeLeftovers(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = name.startsWith(TEMP_PREFIX) ? Number(/^(\d+)-/.exec(name.slice(TEMP_PREFIX.length))?.[1]) : NaN;
    if (pid > 0 && pid !== process.pid && !isRunning(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * Removes the batch file and its folder. unlink and rmdir, not rmSync, which loads a module for its
 * walk even for one file (~1 ms of a restore, Node 20). A failure here must not hide the load's own
 * outcome, and what is left is removed by a later load (removeLeftovers).
 */
function removeQuietly(dir: string, file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // absent (the write failed) or not removable: left to removeLeftovers
  }
  try {
    rmdirSync(dir);
  } catch {
    // likewise
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** nft's word for a table, set or chain that is not there. */
export const NFT_ABSENT = /No such file or directory/;

export class Nft {
  constructor(private readonly runner: Runner) {}

  /** Runs a script as one transaction: it all applies or nothing does. */
  async load(script: string | Iterable<string>, context: string): Promise<void> {
    await this.runner('nft', ['-f', '-'], { input: script, context });
  }

  /**
   * The same for a script in nft's JSON input. nft reads JSON by opening the file by name, and
   * /dev/stdin cannot be opened on the socket Node gives a child as stdin, so it goes through a
   * private temporary file.
   */
  async loadJson(script: readonly Uint8Array[], context: string): Promise<void> {
    removeLeftovers();
    const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
    const file = join(dir, 'table.json');
    try {
      const fd = openSync(file, 'w', 0o600);
      try {
        for (const chunk of script) writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
      await this.runner('nft', ['-j', '-f', file], { context });
    } finally {
      removeQuietly(dir, file);
    }
  }

  /** `nft -j list table <family> <name>`, or undefined when the table does not exist. */
  listTable(family: string, table: string): Promise<string | undefined> {
    return this.list(['table', family, table], `listing nftables table ${family} ${table}`);
  }

  /** `nft -j list set <family> <table> <name>`, or undefined when it does not exist. */
  listSet(family: string, table: string, set: string): Promise<string | undefined> {
    return this.list(['set', family, table, set], `listing nftables set ${set} of table ${family} ${table}`);
  }

  /**
   * `nft -j list chains <family>`: every chain of the family, without rules. Cheap at any set size,
   * unlike `list chain <name>`, which reads back the elements of the sets its rules refer to.
   */
  async listChains(family: string): Promise<string> {
    const args = ['-j', 'list', 'chains', family];
    const { stdout } = await this.runner('nft', args, { context: `listing nftables chains of family ${family}` });
    return stdout;
  }

  private async list(what: string[], context: string): Promise<string | undefined> {
    const args = ['-j', 'list', ...what];
    const result = await this.runner('nft', args, { allowFailure: true });
    if (result.exitCode === 0) return result.stdout;
    if (NFT_ABSENT.test(result.stderr)) return undefined;
    throw new ToolError(['nft', ...args], result.exitCode, result.stderr, context);
  }
}
