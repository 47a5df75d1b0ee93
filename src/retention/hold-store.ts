import type { CatalogDatabase } from '../catalog/database.js';
import type { LegalHold } from './types.js';

interface HoldRow {
  id: string;
  camera_ids_json: string;
  from_ms: number;
  to_ms: number;
  case_number: string;
  reason: string;
  expires_at: number | null;
  placed_by: string;
  placed_at: number;
  lifted_by: string | null;
  lifted_at: number | null;
  lift_reason: string | null;
}

function fromRow(row: HoldRow): LegalHold {
  return {
    id: row.id,
    cameraIds: JSON.parse(row.camera_ids_json) as string[],
    fromMs: row.from_ms,
    toMs: row.to_ms,
    caseNumber: row.case_number,
    reason: row.reason,
    placedBy: row.placed_by,
    placedAt: row.placed_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    ...(row.lifted_by === null ? {} : { liftedBy: row.lifted_by }),
    ...(row.lifted_at === null ? {} : { liftedAt: row.lifted_at }),
    ...(row.lift_reason === null ? {} : { liftReason: row.lift_reason }),
  };
}

/** Legal holds. Lifting keeps the row (who lifted it, when, why); holds are never deleted. */
export class HoldStore {
  constructor(private readonly db: CatalogDatabase) {}

  insert(hold: LegalHold): void {
    this.db
      .prepare(
        `INSERT INTO retention_holds (id, camera_ids_json, from_ms, to_ms, case_number, reason, expires_at, placed_by, placed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(hold.id, JSON.stringify(hold.cameraIds), hold.fromMs, hold.toMs, hold.caseNumber, hold.reason, hold.expiresAt ?? null, hold.placedBy, hold.placedAt);
  }

  get(id: string): LegalHold | undefined {
    const row = this.db.prepare('SELECT * FROM retention_holds WHERE id = ?').get(id) as HoldRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** All holds, newest first. */
  list(): LegalHold[] {
    return (this.db.prepare('SELECT * FROM retention_holds ORDER BY placed_at DESC, id').all() as HoldRow[]).map(fromRow);
  }

  /** Holds not yet lifted (expiry is a policy question, decided with the sweep's clock). */
  unlifted(): LegalHold[] {
    return (this.db.prepare('SELECT * FROM retention_holds WHERE lifted_at IS NULL').all() as HoldRow[]).map(fromRow);
  }

  /** Marks the hold lifted; false when it was already lifted. */
  lift(id: string, liftedBy: string, liftedAt: number, reason: string): boolean {
    const result = this.db
      .prepare('UPDATE retention_holds SET lifted_by = ?, lifted_at = ?, lift_reason = ? WHERE id = ? AND lifted_at IS NULL')
      .run(liftedBy, liftedAt, reason, id);
    return result.changes === 1;
  }
}
