import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../shared/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type CatalogDatabase = Database.Database;

/**
 * Opens `dataDir/catalog.db` in WAL mode with full fsync on commit, and applies pending migrations.
 * Migrations are identified by name (not number) so that modules add theirs independently; they are
 * applied in list order, each in its own transaction, and recorded in `schema_migrations`.
 */
export function openCatalog(path: string, migrations: readonly Migration[] = MIGRATIONS): CatalogDatabase {
  // The catalog's directory is the data directory: private to the gateway user when this creates it.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db, migrations);
  return db;
}

export function applyMigrations(db: CatalogDatabase, migrations: readonly Migration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(
    db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[],
  );
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  const names: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        record.run(migration.name, new Date().toISOString());
      })();
    } catch (error) {
      throw new GatewayError('PGW_ERR_INTERNAL', `catalog migration ${migration.name} failed: ${(error as Error).message}`, { migration: migration.name }, { cause: error });
    }
    names.push(migration.name);
  }
  return names;
}
