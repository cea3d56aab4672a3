// A thin wrapper around the nft binary: one method per verb, scripts on stdin (never in argv), the
// tool's own words in every error.
//
// Cost notes, measured with nft 1.0.6: listing a set reads back its elements, listing a chain those
// of the sets its rules use, listing a table those of all its sets (a 1M-address set: ~14 s).
// `nft list tables`, `nft list sets` and any `add/delete element` read back every interval set of the
// whole ruleset, in time that grows faster than their size (~70 s for one of 1M). Only
// `nft list chains` reads no elements, so existence is checked with it; and a set declaration with
// elements (`add set … { elements = … }`) adds them without that read, so live adds are made so.

import { ranSince } from '../../exec/pid.js';
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OperationalError, ToolError } from '../../errors.js';
import type { Runner } from '../../exec/run.js';
import type { Framing } from '../../exec/tool-session.js';
import { distrustOf } from '../../files/trusted-dir.js';
import { shownPath } from '../../input/quote.js';

/** The batch file's name: ours by its form, whose by its pid. */
const BATCH = /^\.nft-batch-(\d+)-[0-9a-z]+\.json$/;
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * The batch files of loads whose process is gone (killed mid-load): each holds a copy of the whole
 * blocklist. Looked for only in the work directory, where no other user can put anything, and
 * removed only when they are what a load leaves: a regular file (never a link, never a directory
 * walked) of this user, mode 0600. A failure here never stops the load.
 */
function removeLeftovers(dir: string): void {
  const euid = process.geteuid?.() ?? 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(BATCH.exec(name)?.[1]);
    if (!(pid > 0) || pid === process.pid) continue;
    const path = join(dir, name);
    try {
      const stats = lstatSync(path);
      // Its writer's while that one runs: a process holding the id now but started after the write is another.
      if (ranSince(pid, stats.mtimeMs)) continue;
      if (stats.isFile() && stats.uid === euid && (stats.mode & 0o7777) === 0o600) unlinkSync(path);
    } catch {
      // Removed by another load meanwhile, or not removable: left alone.
    }
  }
}

/** How long a restore waits for the loads of killed restores to end (nft parses a 1M-entry batch in seconds). */
const ORPHAN_WAIT_MS = 60_000;

/**
 * Waits while an `nft` of a killed restore still loads one of our batch files (found by the file
 * in its arguments: a killed command's children run on), then removes the batch files such loads
 * left. Its table appears when it commits, after what the caller would otherwise have looked at.
 */
async function orphanedLoadsEnded(dir: string): Promise<void> {
  const prefix = join(dir, '.nft-batch-');
  const deadline = Date.now() + ORPHAN_WAIT_MS;
  while (loadsRunning(prefix) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  removeLeftovers(dir);
}

/** Whether a process runs with an argument starting with `prefix` (/proc/PID/cmdline, NUL-separated). */
function loadsRunning(prefix: string): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return false;
  }
  return pids.some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').some((arg) => arg.startsWith(prefix));
    } catch {
      return false;
    }
  });
}

/** Removes this load's batch file; a failure must not hide the load's own outcome (a later load removes it). */
function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // not removable: left to removeLeftovers
  }
}

/**
 * The directory batch files go to: one only root (this user) can change, checked before every load,
 * since its name comes from the configuration.
 */
function checkedWorkDir(dir: string): string {
  let distrust;
  try {
    distrust = distrustOf(dir);
  } catch (error) {
    throw new OperationalError(`cannot use ${shownPath(dir)} for nft's batch file: ${(error as Error).message}`);
  }
  if (distrust) throw new OperationalError(`refusing to write nft's batch file to ${shownPath(dir)}: ${shownPath(distrust.path)} ${distrust.problem} (${distrust.fix})`);
  return dir;
}

/** nft's word for a table, set or chain that is not there. */
export const NFT_ABSENT = /No such file or directory/;

/**
 * How `nft -i` (a session) tells that it has run a batch: it prints nothing when a line succeeds,
 * so a `describe` follows each batch, which only prints what it knows of a type, on stdout
 * ("payload expression, datatype ipv4_addr (IPv4 address) …").
 */
export const NFT_SENTINEL: Framing = {
  frame: () => ({ trailer: 'describe ip saddr\n', marker: 'payload expression, datatype ipv4_addr', answers: 1, wholeLine: true }),
};

export class Nft {
  /** `workDir`: where loadJson writes its batch file, a directory only root can change (the store's). */
  constructor(
    private readonly runner: Runner,
    private readonly workDir?: string,
  ) {}

  /**
   * Once no load of a killed restore is under way (see orphanedLoadsEnded): before looking for
   * our table to remove it, which such a load would otherwise make after the look.
   */
  async loadsOfTheKilledEnded(): Promise<void> {
    if (this.workDir !== undefined) await orphanedLoadsEnded(this.workDir);
  }

  /** Runs a script as one transaction: it all applies or nothing does. */
  async load(script: string | Iterable<string>, context: string): Promise<void> {
    await this.runner('nft', ['-f', '-'], { input: script, context });
  }

  /**
   * The same for a script in nft's JSON input. nft reads JSON by opening the file by name, and
   * /dev/stdin cannot be opened on the socket Node gives a child as stdin, so it goes through a
   * file of our own in the work directory: created new (O_EXCL, never through a link), 0600.
   */
  async loadJson(script: readonly Uint8Array[], context: string): Promise<void> {
    if (this.workDir === undefined) throw new Error('Nft.loadJson needs a work directory');
    const dir = checkedWorkDir(this.workDir);
    removeLeftovers(dir);
    // Unique by pid and time; nobody else can write here, so the name need not be unpredictable.
    const file = join(dir, `.nft-batch-${process.pid}-${Date.now().toString(36)}.json`);
    const fd = openSync(file, CREATE, 0o600);
    try {
      try {
        for (const chunk of script) {
          for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
        }
      } finally {
        closeSync(fd);
      }
      await this.runner('nft', ['-j', '-f', file], { context });
    } finally {
      removeQuietly(file);
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
   * `nft -j list chain <family> <table> <name>`, or undefined when it does not exist. Reads back
   * the elements of the sets its rules refer to (~1 s a 100k): for rare events, not a periodic check.
   */
  listChain(family: string, table: string, chain: string): Promise<string | undefined> {
    return this.list(['chain', family, table, chain], `listing nftables chain ${chain} of table ${family} ${table}`);
  }

  /**
   * `nft get element <family> <table> <set> { <element> }`: whether the set holds it (an interval
   * set: whether one of its intervals holds all of it); false when the set does not exist. nft reads
   * back the table's sets first (~0.6 s with 100k elements).
   */
  async hasElement(family: string, table: string, set: string, element: string): Promise<boolean> {
    const args = ['get', 'element', family, table, set, `{ ${element} }`];
    const result = await this.runner('nft', args, { allowFailure: true });
    if (result.exitCode === 0) return true;
    if (NFT_ABSENT.test(result.stderr)) return false;
    throw new ToolError(['nft', ...args], result.exitCode, result.stderr, `looking up ${element} in nftables set ${set}`);
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
