// Forward-only migrations: migrations/NNNN_name.sql, applied in name order, each recorded with the
// SHA-256 of its text. A store whose applied migrations no longer match the files (one edited, one
// missing, one skipped) is refused: running on a schema we do not know is how data gets lost.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { packageRoot } from '../package-root.js';

const FILE_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

export function defaultMigrationsDir(): string {
  return join(packageRoot(), 'migrations');
}

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/**
 * The migrations of this build. scripts/build.mjs puts them into the bundle, checksums included, so
 * that opening a store reads no migration file and loads no node:crypto (~3 ms of every ban hook).
 * Run from the sources, they are read from migrations/.
 */
declare const STICKYBAN_MIGRATIONS: string | undefined;
/** The fleet database's own (migrations/fleet/), applied by `stickyban fleet init` (src/fleet/migrate.ts). */
declare const STICKYBAN_FLEET_MIGRATIONS: string | undefined;

export function shippedMigrations(): readonly Migration[] {
  return typeof STICKYBAN_MIGRATIONS === 'undefined' ? readMigrations() : (JSON.parse(STICKYBAN_MIGRATIONS) as Migration[]);
}

export function shippedFleetMigrations(): readonly Migration[] {
  return typeof STICKYBAN_FLEET_MIGRATIONS === 'undefined' ? readMigrations(join(defaultMigrationsDir(), 'fleet')) : (JSON.parse(STICKYBAN_FLEET_MIGRATIONS) as Migration[]);
}

export function readMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  // Loaded here, not at the top: in the bundle only a store opened with other migrations gets here.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return readdirSync(dir)
    .filter((file) => FILE_NAME.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { name: file.slice(0, -'.sql'.length), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface Applied {
  readonly name: string;
  readonly checksum: string;
}

/** Brings the store up to date; returns the names it applied (empty when it was current). */
export function migrate(db: Database.Database, migrations: readonly Migration[], path: string): string[] {
  if (pendingMigrations(readApplied(db), migrations, `store ${path}`).length === 0) return [];
  // Several processes may meet a new store at once; the write lock makes one of them migrate and
  // the others find the work done when they get the lock.
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
    const todo = pendingMigrations(readApplied(db), migrations, `store ${path}`);
    const record = db.prepare('INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)');
    for (const migration of todo) {
      db.exec(migration.sql);
      record.run(migration.name, migration.checksum, Math.floor(Date.now() / 1000));
    }
    return todo.map((migration) => migration.name);
  });
  return apply.immediate();
}

export function readApplied(db: Database.Database): Applied[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return [];
  return db.prepare('SELECT name, checksum FROM schema_migrations ORDER BY name').all() as Applied[];
}

/**
 * The migrations still to apply, after checking that what was applied is exactly what we ship.
 * `where` names the database in messages ("store /var/lib/…", "fleet database …").
 */
export function pendingMigrations(applied: readonly Applied[], migrations: readonly Migration[], where: string): Migration[] {
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));
  for (const done of applied) {
    const migration = byName.get(done.name);
    if (!migration) {
      throw new StoreError(
        `${where} has migration ${done.name} applied, which this stickyban does not have: it was written by a newer version; upgrade stickyban`,
      );
    }
    if (migration.checksum !== done.checksum) {
      throw new StoreError(
        `migration ${done.name} was changed after it was applied to ${where} (checksum differs); restore the original migrations/${done.name}.sql and add changes as a new migration`,
      );
    }
  }
  const appliedNames = new Set(applied.map((done) => done.name));
  const last = applied.at(-1)?.name;
  const todo = migrations.filter((migration) => !appliedNames.has(migration.name));
  const early = todo.find((migration) => last !== undefined && migration.name < last);
  if (early) {
    throw new StoreError(
      `migration ${early.name} sorts before ${last}, which is already applied to ${where}; migrations must be added after the last one`,
    );
  }
  return todo;
}
