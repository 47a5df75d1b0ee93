import type { Migration } from './migrations.js';

/** Retention: versioned rule sets, legal holds, the deletion journal and the record of sweeps. */
export const RETENTION_MIGRATIONS: readonly Migration[] = [
  {
    name: 'retention-001-rules-holds-journal',
    sql: `
      CREATE TABLE retention_rule_versions (
        version INTEGER PRIMARY KEY,
        rules_json TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        changed_at INTEGER NOT NULL,
        comment TEXT
      );
      CREATE TABLE retention_holds (
        id TEXT PRIMARY KEY,
        camera_ids_json TEXT NOT NULL,
        from_ms INTEGER NOT NULL,
        to_ms INTEGER NOT NULL,
        case_number TEXT NOT NULL,
        reason TEXT NOT NULL,
        expires_at INTEGER,
        placed_by TEXT NOT NULL,
        placed_at INTEGER NOT NULL,
        lifted_by TEXT,
        lifted_at INTEGER,
        lift_reason TEXT
      );
      CREATE TABLE retention_deletions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_key TEXT NOT NULL,
        source TEXT NOT NULL,
        item_json TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        sweep_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'audited', 'erased', 'cancelled')),
        decided_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE UNIQUE INDEX retention_deletions_open ON retention_deletions (item_key) WHERE state IN ('pending', 'audited');
      CREATE INDEX retention_deletions_finished ON retention_deletions (finished_at) WHERE finished_at IS NOT NULL;
      CREATE TABLE retention_sweeps (
        id TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        effective_now INTEGER NOT NULL,
        wall_now INTEGER NOT NULL,
        clock_clamped INTEGER NOT NULL,
        rules_version INTEGER NOT NULL,
        finished_at INTEGER,
        outcome TEXT,
        summary_json TEXT
      );
    `,
  },
];
