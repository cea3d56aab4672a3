// Root is a responsibility: a directory where stickyban creates, opens or removes files must be one
// no other user can change, or that user could put a link there for root to follow, or swap a file
// between a check and its use. sshd refuses a loose authorized_keys for the same reason.
//
// A directory is trusted when every directory on the way to it, and every symbolic link followed,
// belongs to root or to this user, and no one else may write the directories: then nobody else can
// change the path at all, so checking it once and using it afterwards leaves no race. A directory
// others may write is allowed on the way only with the sticky bit (/tmp): there, others cannot
// rename or remove what is not theirs, and what comes next must be ours.

import { chmodSync, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Why a directory cannot be trusted, with the fix; `path` is the part of it that is wrong. */
export interface Distrust {
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}

/** Linux's limit too (MAXSYMLINKS); a loop of links ends here. */
const MAX_LINKS = 40;

export interface TrustOptions {
  /** Whose files these are: root's, or the running user's (root is trusted by everyone). */
  readonly euid?: number;
  /** Create what is missing: the directory itself with this mode, those above it 0755 (never from the umask). */
  readonly create?: number;
  /**
   * The directory itself may be a shared sticky one (/tmp): for a file only read there, whose own
   * owner is checked, as others can neither replace nor remove it. Not where files are made.
   */
  readonly sharedSticky?: boolean;
  /**
   * The path names a file (the config file), not a directory: its own links are followed and
   * judged like any on the way, and the directory it is in is judged as the last one.
   */
  readonly file?: boolean;
}

/**
 * Checks `dir` and every directory and link on the way to it; creates what is missing when asked.
 * Returns why it cannot be trusted, or undefined. A directory that cannot be read on the way (not
 * root: EACCES) or is missing throws the file system's error.
 */
export function distrustOf(dir: string, options: TrustOptions = {}): Distrust | undefined {
  const euid = options.euid ?? process.geteuid?.() ?? 0;
  // The walk keeps `current` a real path (no link in it), so `..` is simply its parent.
  let pending = components(dir.startsWith('/') ? dir : join(process.cwd(), dir));
  let current = '/';
  let stats = lstatSync('/');
  let links = 0;
  while (pending.length > 0) {
    const wrong = judge(current, stats, euid, false, false);
    if (wrong) return wrong;
    const name = pending.shift()!;
    if (name === '.' || name === '..') {
      if (name === '..') current = parentOf(current);
      stats = lstatSync(current);
      continue;
    }
    const path = join(current, name);
    let found = options.create === undefined ? lstatSync(path) : lstatIfAny(path);
    found ??= makeDir(path, pending.length === 0 ? options.create! : 0o755);
    if (found.isSymbolicLink()) {
      if (!isOurs(found, euid)) return { path, problem: `is a symbolic link owned by uid ${found.uid}`, fix: 'remove it, or give the real path' };
      if (++links > MAX_LINKS) {
        // A file's path that loops is wrong, as the file system itself says when it is opened.
        if (options.file === true) throw Object.assign(new Error(`ELOOP: too many symbolic links, ${path}`), { code: 'ELOOP', path });
        return { path, problem: 'has too many levels of symbolic links', fix: 'give the real path' };
      }
      const target = readlinkSync(path);
      if (target.startsWith('/')) current = '/';
      pending = [...components(target), ...pending];
      stats = lstatSync(current);
      continue;
    }
    // The file itself: what remains to judge is the directory it is in (`current`), as the last one.
    if (options.file === true && pending.length === 0 && !found.isDirectory()) break;
    current = path;
    stats = found;
  }
  return judge(current, stats, euid, true, options.sharedSticky === true);
}

function judge(path: string, stats: Stats, euid: number, last: boolean, sharedSticky: boolean): Distrust | undefined {
  // Not a question of trust: the path is wrong, as the file system itself would say.
  if (!stats.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, ${path}`), { code: 'ENOTDIR', path });
  if (!isOurs(stats, euid)) return { path, problem: `is owned by uid ${stats.uid}, not ${ownerWanted(euid)}`, fix: `chown ${euid === 0 ? 'root' : euid} ${path}` };
  const mode = stats.mode & 0o7777;
  // The sticky bit protects what is in a directory from others, not the directory's own new entries.
  if ((mode & 0o022) !== 0 && ((last && !sharedSticky) || (mode & 0o1000) === 0)) {
    const who = (mode & 0o022) === 0o022 ? 'its group and others' : (mode & 0o020) !== 0 ? 'its group' : 'others';
    // A sticky one is shared on purpose (/tmp): taking the others' write away would break the host.
    const own = join(path, 'stickyban');
    const fix = (mode & 0o1000) !== 0 ? `use a directory of its own in it, such as ${own} (mkdir -m 700 ${own})` : `chmod go-w ${path}`;
    return { path, problem: `is writable by ${who} (mode ${octal(mode)})`, fix };
  }
  return undefined;
}

function isOurs(stats: Stats, euid: number): boolean {
  return stats.uid === 0 || stats.uid === euid;
}

function ownerWanted(euid: number): string {
  return euid === 0 ? 'root' : `root or uid ${euid}`;
}

/**
 * mkdir with the mode itself, never one the umask cut (umask 000 made the parents 0777) or widened.
 * The parent is trusted by now: nobody else can replace what we made before the chmod.
 */
function makeDir(path: string, mode: number): Stats {
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    // Made meanwhile by someone: judged as found.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return lstatSync(path);
    throw error;
  }
  chmodSync(path, mode);
  return lstatSync(path);
}

function lstatIfAny(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}
