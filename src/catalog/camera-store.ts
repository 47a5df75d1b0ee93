import type { CameraConfig } from '../config/sections/cameras.js';
import type { CatalogDatabase } from './database.js';

interface CameraRow {
  id: string;
  config_json: string;
}

/** API-managed cameras in the catalog; each row holds the validated camera configuration as JSON. */
export class CameraStore {
  constructor(private readonly db: CatalogDatabase) {}

  list(): CameraConfig[] {
    const rows = this.db.prepare('SELECT id, config_json FROM cameras ORDER BY id').all() as CameraRow[];
    return rows.map((row) => JSON.parse(row.config_json) as CameraConfig);
  }

  put(camera: CameraConfig, by: string, now: number): void {
    this.db
      .prepare('INSERT INTO cameras (id, config_json, created_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET config_json = excluded.config_json, updated_at = excluded.updated_at')
      .run(camera.id, JSON.stringify(camera), by, now);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM cameras WHERE id = ?').run(id).changes > 0;
  }
}
