// The fleet database's schema: migrations/fleet/, applied in order by `stickyban fleet init` as the
// admin role, each in its transaction and recorded with its checksum in stickyban.schema_migrations,
// as the store's own are (store/migrate.ts). Hosts only check it: one that finds a schema it does not
// know (older, newer, edited) says so and waits, rather than writing into it.

import { OperationalError } from '../errors.js';
import { pendingMigrations, shippedFleetMigrations, type Applied } from '../store/migrate.js';
import type { Connection } from './pg.js';

/** Concurrent `fleet init`s take turns on this advisory lock (an arbitrary number of ours). */
const INIT_LOCK = 0x5b1c_ba17;

/** Brings the fleet schema up to date; returns the migrations applied. */
export async function migrateFleet(connection: Connection): Promise<string[]> {
  const migrations = shippedFleetMigrations();
  return connection.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
    await tx.query('CREATE SCHEMA IF NOT EXISTS stickyban');
    await tx.query(`CREATE TABLE IF NOT EXISTS stickyban.schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await tx.query<{ name: string; checksum: string }>('SELECT name, checksum FROM stickyban.schema_migrations ORDER BY name');
    const todo = pendingMigrations(applied, migrations, `fleet database ${connection.describe}`);
    for (const migration of todo) {
      await tx.query(migration.sql);
      await tx.query('INSERT INTO stickyban.schema_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
    }
    return todo.map((migration) => migration.name);
  });
}

/** Refuses a fleet database whose schema is not exactly the one this stickyban ships. */
export async function checkFleetSchema(connection: Connection): Promise<void> {
  const exists = await connection.query<{ table: string | null }>("SELECT to_regclass('stickyban.schema_migrations')::text AS table");
  if (exists[0]?.table == null) {
    throw new OperationalError(`the fleet database ${connection.describe} has no stickyban schema: run stickyban fleet init with its admin role`);
  }
  const applied: Applied[] = await connection.query<{ name: string; checksum: string }>('SELECT name, checksum FROM stickyban.schema_migrations ORDER BY name');
  const todo = pendingMigrations(applied, shippedFleetMigrations(), `fleet database ${connection.describe}`);
  if (todo.length > 0) {
    throw new OperationalError(`the fleet database ${connection.describe} lacks migration ${todo[0]!.name}: run stickyban fleet init with its admin role`);
  }
}
