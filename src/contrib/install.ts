// Installs the contrib files the way dpkg treats conffiles: a file we installed and nobody touched
// is updated in place; a file the admin edited is kept, and our version is put beside it as
// <file>.stickyban-new. Running it twice changes nothing the second time.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, readFileSync } from 'node:fs';
import { openRegular } from '../files/open-regular.js';
import { dirname, join } from 'node:path';
import { OperationalError } from '../errors.js';
import { distrustOf } from '../files/trusted-dir.js';
import { writeFileAtomically } from '../files/write-atomically.js';
import { shownPath } from '../input/quote.js';
import type { ContribFile } from './files.js';

export type InstallOutcome = 'installed' | 'updated' | 'unchanged' | 'kept-edited';

export interface InstalledFile {
  readonly target: string;
  readonly outcome: InstallOutcome;
}

type Manifest = Record<string, string>;

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What to do with one file, from its shipped content, what is on disk and what we installed last. */
export function decide(shipped: Buffer, onDisk: Buffer | undefined, lastInstalled: string | undefined): InstallOutcome {
  if (onDisk === undefined) return 'installed';
  const current = sha256(onDisk);
  if (current === sha256(shipped)) return 'unchanged';
  return current === lastInstalled ? 'updated' : 'kept-edited';
}

export function installFiles(files: readonly ContribFile[], contribDir: string, root: string, manifestPath: string): InstalledFile[] {
  const manifestFile = join(root, manifestPath);
  // The manifest lives beside the store: its directory is created, and trusted, as the store's is.
  makeDirs(dirname(manifestFile), 0o700);
  const manifest = existsSync(manifestFile) ? readManifest(manifestFile) : {};
  const results = files.map((file) => {
    const shipped = readFileSync(join(contribDir, file.source));
    const target = join(root, file.target);
    const installed = openInstalled(target);
    try {
      const outcome = installed === 'foreign' ? 'kept-edited' : decide(shipped, installed?.data, manifest[file.target]);
      if (outcome === 'kept-edited') {
        writeAtomically(`${target}.stickyban-new`, shipped, file.mode);
      } else {
        if (outcome !== 'unchanged') writeAtomically(target, shipped, file.mode);
        // Through the descriptor: a chmod by name would follow a link put there since the read.
        else if (typeof installed === 'object') fchmodSync(installed.fd, file.mode);
        manifest[file.target] = sha256(shipped);
      }
      return { target: file.target, outcome };
    } finally {
      if (typeof installed === 'object') closeSync(installed.fd);
    }
  });
  writeAtomically(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  return results;
}

/**
 * What is installed at `target`, read without following a link. A link, or anything but a regular
 * file, is the admin's doing: an edit to keep, never read or written through.
 */
function openInstalled(target: string): { fd: number; data: Buffer } | 'foreign' | undefined {
  const opened = openRegular(target);
  if (opened === 'absent') return undefined;
  if (typeof opened !== 'object') return 'foreign';
  return { fd: opened.fd, data: readFileSync(opened.fd) };
}

function readManifest(path: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw error;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((value) => typeof value === 'string')) {
    throw new OperationalError(`${path} is damaged (not the JSON install-contrib writes); remove it, and every installed file will be kept as an edit of yours`);
  }
  return parsed as Manifest;
}

function writeAtomically(path: string, data: Buffer | string, mode: number): void {
  makeDirs(dirname(path), 0o755);
  writeFileAtomically(path, data, mode);
}

/** Creates what is missing of `dir` (0755 above it, never from the umask); refuses a directory others could change. */
function makeDirs(dir: string, mode: number): void {
  const distrust = distrustOf(dir, { create: mode });
  if (distrust) throw new OperationalError(`refusing to install into ${shownPath(distrust.path)}: it ${distrust.problem} (${distrust.fix})`);
}
