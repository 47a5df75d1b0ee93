import type { Migration } from './migrations.js';

/**
 * The durable outbox (P8): one row per (sink, idempotency key). Producers insert rows in the same transaction that
 * records the artefact; the uplink marks them delivered. `outbox_spool_files` accounts for spooled payloads so that
 * disk pressure can evict only what every sink has delivered.
 */
export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    name: 'outbox-0001-items',
    sql: `
      CREATE TABLE outbox_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sink TEXT NOT NULL,
        item_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        grp TEXT,
        body TEXT,
        file_path TEXT,
        content_type TEXT,
        expires_at INTEGER,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        delivered_at INTEGER,
        dead_at INTEGER,
        last_error TEXT,
        UNIQUE (sink, item_key)
      );
      CREATE INDEX outbox_items_due ON outbox_items (sink, next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
      CREATE INDEX outbox_items_group ON outbox_items (sink, grp, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
      CREATE INDEX outbox_items_file ON outbox_items (file_path) WHERE file_path IS NOT NULL;
      CREATE TABLE outbox_spool_files (
        path TEXT PRIMARY KEY,
        item_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        grp TEXT,
        bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        evicted_at INTEGER
      );
    `,
  },
];
