// A private directory for temporary copies (an import's stdin read into a file, a fail2ban database
// copied aside; a read-only store copied to be read): made by mkdtemp, so it is new, ours and 0700, in a directory no one else may change
// (files/trusted-dir.ts), so nobody else can put anything in it or swap what is there. Removing it
// removes what we named in it, one file at a time, then the directory itself, never recursively.
// One a process left behind (killed, or stopped by a signal: Node runs no clean-up then) is removed
// by the next one made beside it, once its maker is provably gone.

import { lstatSync, mkdtempSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { ownIdentity, stillRuns } from '../exec/pid.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { distrustOf } from './trusted-dir.js';
import { shownPath } from '../input/quote.js';

/** What SQLite may add beside a database it opens. */
export const SQLITE_SIDECARS = ['-journal', '-wal', '-shm'];

export class PrivateTemp {
  private readonly names = new Set<string>();

  private constructor(readonly dir: string) {}

  /** `purpose` names the directory: stickyban-<purpose>-<pid>-<pid namespace>-<start>-XXXXXX, its owner in its name (see sweepAbandoned). */
  static create(purpose = 'import'): PrivateTemp {
    const parent = tmpdir();
    sweepAbandoned(parent);
    const { pid, pidNs, startTicks } = ownIdentity();
    let made: string;
    try {
      made = mkdtempSync(join(parent, `stickyban-${purpose}-${pid}-${pidNs}-${startTicks}-`));
    } catch (error) {
      throw new OperationalError(`cannot make a temporary directory in ${shownPath(parent)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (set TMPDIR to a directory root can write, such as /tmp)`);
    }
    const temp = new PrivateTemp(made);
    // mkdtemp makes it ours; it stays ours only in a directory no one else may change (TMPDIR as
    // another user's folder: they could move ours aside and put theirs in its place).
    const distrust = distrustOf(temp.dir);
    if (distrust) {
      temp.remove();
      throw new OperationalError(`refusing the temporary directory ${shownPath(temp.dir)}: ${shownPath(distrust.path)} ${distrust.problem} (${distrust.fix}, or set TMPDIR to one only root can change)`);
    }
    return temp;
  }

  /** The path of a file to make in the directory. */
  file(name: string): string {
    this.names.add(name);
    return join(this.dir, name);
  }

  /** The path of a database to make in the directory; SQLite's own files beside it are removed with it. */
  database(name: string): string {
    for (const suffix of SQLITE_SIDECARS) this.names.add(`${name}${suffix}`);
    return this.file(name);
  }

  remove(): void {
    try {
      for (const name of this.names) {
        try {
          unlinkSync(join(this.dir, name));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      rmdirSync(this.dir);
    } catch (error) {
      throw new OperationalError(`cannot remove the temporary directory ${this.dir}: ${(error as Error).message}`);
    }
  }
}

/** A directory create() made: its purpose, then its maker's identity (exec/pid.ts). */
const OURS = /^stickyban-[a-z]+-(\d+)-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Removes the directories of processes that are gone (an import killed, or interrupted by Ctrl-C,
 * left its copy of stdin behind: up to 1 GiB a run). Provably ours and abandoned: named so by
 * create(), a directory (not a link) of this user, 0700 as mkdtemp makes it, and its maker, of this
 * pid namespace, no longer runs. Only the regular files in it go (no link is followed, nothing
 * below it is entered), then the directory if that empties it. Anything else is left as it is.
 */
function sweepAbandoned(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const euid = process.geteuid?.();
  for (const name of names) {
    const owner = OURS.exec(name);
    if (!owner) continue;
    const identity = { pid: Number(owner[1]), pidNs: Number(owner[2]), startTicks: Number(owner[3]) };
    if (identity.pidNs !== ownIdentity().pidNs || stillRuns(identity)) continue;
    const dir = join(parent, name);
    try {
      const stats = lstatSync(dir);
      if (!stats.isDirectory() || stats.uid !== euid || (stats.mode & 0o777) !== 0o700) continue;
      for (const file of readdirSync(dir)) {
        const path = join(dir, file);
        if (lstatSync(path).isFile()) unlinkSync(path);
      }
      rmdirSync(dir);
    } catch {
      // Another sweep got there first, or something not ours is in it: left as it is.
    }
  }
}
