import type { Migration } from './migrations.js';

/** Cameras added through the API (cameras from configuration are not stored: the file is their source). */
export const CAMERA_MIGRATIONS: readonly Migration[] = [
  {
    name: 'cameras-001-registry',
    sql: `
      CREATE TABLE cameras (
        id TEXT PRIMARY KEY,
        config_json TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];
