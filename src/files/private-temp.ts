// A private directory for temporary copies (an import's stdin read into a file, a fail2ban database
// copied aside; a read-only store copied to be read): made by mkdtemp, so it is new, ours and 0700, in a directory no one else may change
// (files/trusted-dir.ts), so nobody else can put anything in it or swap what is there. Removing it
// removes what we named in it, one file at a time, then the directory itself, never recursively.

import { mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationalError } from '../errors.js';
import { distrustOf } from './trusted-dir.js';
import { shownPath } from '../input/quote.js';

/** What SQLite may add beside a database it opens. */
const SQLITE_SIDECARS = ['-journal', '-wal', '-shm'];

export class PrivateTemp {
  private readonly names = new Set<string>();

  private constructor(readonly dir: string) {}

  /** `purpose` names the directory: stickyban-<purpose>-XXXXXX. */
  static create(purpose = 'import'): PrivateTemp {
    const parent = tmpdir();
    let made: string;
    try {
      made = mkdtempSync(join(parent, `stickyban-${purpose}-`));
    } catch (error) {
      throw new OperationalError(`cannot make a temporary directory in ${shownPath(parent)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (set TMPDIR to a directory root can write, such as /tmp)`);
    }
    const temp = new PrivateTemp(made);
    whileLive(temp);
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
    live.delete(this);
    if (live.size === 0) for (const signal of SIGNALS) process.removeListener(signal, onSignal);
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

/**
 * The directories of this process not removed yet, and what removes them when it is told to stop
 * (Ctrl-C, a TERM): an import of stdin interrupted left its copy behind, up to 1 GiB a run. The
 * signal is then raised again, with nothing of ours listening, so the process ends as it would have.
 */
const live = new Set<PrivateTemp>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function whileLive(made: PrivateTemp): void {
  if (live.size === 0) for (const signal of SIGNALS) process.on(signal, onSignal);
  live.add(made);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const made of [...live]) {
    try {
      made.remove();
    } catch {
      // Ending anyway: what could not be removed is named by nothing now; the process must still stop.
    }
  }
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  process.kill(process.pid, signal);
}
