import type { CatalogDatabase } from '../catalog/database.js';
import type { MaskPolygon } from '../shared/types.js';

/** Catalog row of one encrypted original. `wrappedDek` is null once the original is crypto-shredded. */
export interface OriginalRecord {
  readonly originalId: string;
  readonly segmentId: string;
  readonly cameraId: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly container: string;
  readonly sha256: string;
  readonly plainBytes: number;
  readonly path: string;
  readonly kekId: string | null;
  readonly wrappedDek: Buffer | null;
  readonly createdAt: number;
  readonly shreddedAt: number | null;
  /** Static privacy masks of the camera at capture (A6). */
  readonly privacyMasks: readonly MaskPolygon[];
}

interface OriginalRow {
  original_id: string;
  segment_id: string;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  container: string;
  sha256: string;
  plain_bytes: number;
  path: string;
  kek_id: string | null;
  wrapped_dek: Buffer | null;
  created_at: number;
  shredded_at: number | null;
  privacy_masks: string;
}

function fromRow(row: OriginalRow): OriginalRecord {
  return {
    originalId: row.original_id,
    segmentId: row.segment_id,
    cameraId: row.camera_id,
    startMs: row.start_ms,
    endMs: row.end_ms,
    container: row.container,
    sha256: row.sha256,
    plainBytes: row.plain_bytes,
    path: row.path,
    kekId: row.kek_id,
    wrappedDek: row.wrapped_dek,
    createdAt: row.created_at,
    shreddedAt: row.shredded_at,
    privacyMasks: JSON.parse(row.privacy_masks) as MaskPolygon[],
  };
}

/** SQL for the `vault_originals` table. */
export class OriginalsStore {
  constructor(private readonly db: CatalogDatabase) {}

  insert(record: OriginalRecord): void {
    this.db
      .prepare(
        `INSERT INTO vault_originals (original_id, segment_id, camera_id, start_ms, end_ms, container, sha256, plain_bytes, path, kek_id, wrapped_dek, created_at, privacy_masks)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(record.originalId, record.segmentId, record.cameraId, record.startMs, record.endMs, record.container, record.sha256, record.plainBytes, record.path, record.kekId, record.wrappedDek, record.createdAt, JSON.stringify(record.privacyMasks));
  }

  get(originalId: string): OriginalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM vault_originals WHERE original_id = ?').get(originalId) as OriginalRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  bySegmentId(segmentId: string): OriginalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM vault_originals WHERE segment_id = ?').get(segmentId) as OriginalRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Live originals of `cameraId` overlapping [fromMs, toMs), in time order. */
  overlapping(cameraId: string, fromMs: number, toMs: number): OriginalRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM vault_originals WHERE camera_id = ? AND start_ms < ? AND end_ms > ? AND shredded_at IS NULL ORDER BY start_ms, original_id')
      .all(cameraId, toMs, fromMs) as OriginalRow[];
    return rows.map(fromRow);
  }

  /** Live originals of `cameraId` lying entirely inside [fromMs, toMs], in time order. */
  within(cameraId: string, fromMs: number, toMs: number): OriginalRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM vault_originals WHERE camera_id = ? AND start_ms >= ? AND end_ms <= ? AND shredded_at IS NULL ORDER BY start_ms, original_id')
      .all(cameraId, fromMs, toMs) as OriginalRow[];
    return rows.map(fromRow);
  }

  /** Live originals recorded (started) before `beforeMs`, oldest first. */
  recordedBefore(beforeMs: number): OriginalRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM vault_originals WHERE shredded_at IS NULL AND start_ms < ? ORDER BY start_ms, original_id')
      .all(beforeMs) as OriginalRow[];
    return rows.map(fromRow);
  }

  /** Up to `limit` live originals whose data key is wrapped under a KEK other than `kekId`. */
  wrappedUnderOtherThan(kekId: string, limit: number): OriginalRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM vault_originals WHERE wrapped_dek IS NOT NULL AND kek_id != ? ORDER BY original_id LIMIT ?')
      .all(kekId, limit) as OriginalRow[];
    return rows.map(fromRow);
  }

  countByKek(): Record<string, number> {
    const rows = this.db
      .prepare('SELECT kek_id AS kek, COUNT(*) AS n FROM vault_originals WHERE wrapped_dek IS NOT NULL GROUP BY kek_id')
      .all() as { kek: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.kek, row.n]));
  }

  /** Replaces a wrapped key only if it is still under `fromKek` (idempotent across crashes). */
  rewrap(originalId: string, fromKek: string, toKek: string, wrapped: Buffer): void {
    this.db
      .prepare('UPDATE vault_originals SET kek_id = ?, wrapped_dek = ? WHERE original_id = ? AND kek_id = ?')
      .run(toKek, wrapped, originalId, fromKek);
  }

  destroyKey(originalId: string, at: number): boolean {
    const result = this.db
      .prepare('UPDATE vault_originals SET wrapped_dek = NULL, kek_id = NULL, shredded_at = ? WHERE original_id = ? AND shredded_at IS NULL')
      .run(at, originalId);
    return result.changes === 1;
  }

  allPaths(): Set<string> {
    return new Set(this.db.prepare('SELECT path FROM vault_originals WHERE shredded_at IS NULL').pluck().all() as string[]);
  }
}
