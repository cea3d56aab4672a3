// A store that SQLite cannot open where it is, to be read: in WAL mode SQLite reads through the
// -shm and -wal files beside the database, and makes them when they are missing. A store on a
// read-only file system (a read-only bind mount, EROFS) or in a directory this user may not write,
// closed cleanly (so without those files), cannot be opened at all, not even read-only; SQLite's
// one way around it (immutable=1) needs URI file names, which this build of better-sqlite3 leaves
// off. So the store is copied, by the kernel, a chunk at a time, into a private temporary
// directory and read there; the copy is removed when the store is closed.

import { constants, copyFileSync, existsSync, lstatSync, type Stats } from 'node:fs';
import { PrivateTemp } from '../files/private-temp.js';
import { StoreError } from '../errors.js';
import { shownPath } from '../input/quote.js';

/** A writer elsewhere (the same file mounted read-write) may change the store during a copy. */
const ATTEMPTS = 3;

export class StoreCopy {
  private constructor(
    private readonly temp: PrivateTemp,
    /** Where the copy is. */
    readonly path: string,
  ) {}

  /**
   * Copies the store (and its -wal, when there is one: committed bans may still be there) into a
   * private temporary directory. The store is known to be a regular file of ours in a trusted
   * directory (store-file.ts). A copy during which the store changed is taken again.
   */
  static make(store: string): StoreCopy {
    const temp = PrivateTemp.create('read');
    try {
      const copy = temp.database('stickyban.db');
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const before = versionOf(store);
        if (before.wal !== undefined && !before.wal.isFile()) throw new StoreError(`refusing store ${shownPath(store)}: ${shownPath(`${store}-wal`)} is not a regular file`);
        copyFileSync(store, copy, attempt === 0 ? constants.COPYFILE_EXCL : 0);
        if (before.wal !== undefined) copyFileSync(`${store}-wal`, `${copy}-wal`, attempt === 0 ? constants.COPYFILE_EXCL : 0);
        if (sameVersion(before, versionOf(store))) return new StoreCopy(temp, copy);
      }
      throw new StoreError(`store ${shownPath(store)} changed each time it was copied to be read (it is read-only here, and written elsewhere)`, 'try again');
    } catch (error) {
      temp.remove();
      throw error;
    }
  }

  remove(): void {
    this.temp.remove();
  }
}

interface Version {
  readonly db: Stats;
  readonly wal: Stats | undefined;
}

function versionOf(store: string): Version {
  const wal = `${store}-wal`;
  return { db: lstatSync(store), wal: existsSync(wal) ? lstatSync(wal) : undefined };
}

function sameVersion(a: Version, b: Version): boolean {
  const same = (x: Stats | undefined, y: Stats | undefined) =>
    x === undefined || y === undefined ? x === y : x.ino === y.ino && x.size === y.size && x.mtimeMs === y.mtimeMs && x.ctimeMs === y.ctimeMs;
  return same(a.db, b.db) && same(a.wal, b.wal);
}
