import type { CatalogDatabase } from '../catalog/database.js';
import { GatewayError } from '../shared/errors.js';
import { unlinkDurably } from './durable-unlink.js';
import type { CameraKind, DataClass, RetainedItem, RetentionSource } from './types.js';

/** Maps a catalog table whose rows are retained items (sensor records, events, export packages). */
export interface CatalogTableSourceOptions {
  name: string;
  dataClass: DataClass;
  table: string;
  idColumn: string;
  /** Recording time, ms since epoch. */
  recordedAtColumn: string;
  recordedUntilColumn?: string;
  cameraColumn?: string;
  /** JSON array of strings. */
  tagsColumn?: string;
  /** Path of a file that belongs to the row and goes with it. */
  fileColumn?: string;
  cameraKindOf?: (cameraId: string) => CameraKind | undefined;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

interface ItemRow {
  id: string | number;
  recorded_at: number;
  recorded_until?: number | null;
  camera_id?: string | null;
  tags?: string | null;
  file?: string | null;
}

function parseTags(json: string | null | undefined): string[] | undefined {
  if (!json) return undefined;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((tag): tag is string => typeof tag === 'string') : undefined;
}

/**
 * Rows are erased by one committed DELETE: from the catalog's view the item is gone atomically. A file
 * that belongs to the row is unlinked afterwards; its path travels in the journalled item, so a crash
 * between the two is finished by the next sweep's rerun of `erase`.
 */
export class CatalogTableRetentionSource implements RetentionSource {
  readonly name: string;
  readonly dataClasses: readonly DataClass[];
  private readonly selectSql: string;
  private readonly deleteSql: string;

  constructor(
    private readonly db: CatalogDatabase,
    private readonly options: CatalogTableSourceOptions,
  ) {
    const columns = [options.table, options.idColumn, options.recordedAtColumn, options.recordedUntilColumn, options.cameraColumn, options.tagsColumn, options.fileColumn];
    for (const column of columns) {
      if (column !== undefined && !IDENTIFIER.test(column)) throw new GatewayError('PGW_ERR_CONFIG_INVALID', `'${column}' is not a plain SQL identifier`, { source: options.name });
    }
    this.name = options.name;
    this.dataClasses = [options.dataClass];
    const select = [
      `${options.idColumn} AS id`,
      `${options.recordedAtColumn} AS recorded_at`,
      options.recordedUntilColumn && `${options.recordedUntilColumn} AS recorded_until`,
      options.cameraColumn && `${options.cameraColumn} AS camera_id`,
      options.tagsColumn && `${options.tagsColumn} AS tags`,
      options.fileColumn && `${options.fileColumn} AS file`,
    ].filter(Boolean);
    this.selectSql = `SELECT ${select.join(', ')} FROM ${options.table} WHERE ${options.recordedAtColumn} < ?`;
    this.deleteSql = `DELETE FROM ${options.table} WHERE ${options.idColumn} = ?`;
  }

  async list(dataClass: DataClass, recordedBefore: number): Promise<readonly RetainedItem[]> {
    if (dataClass !== this.options.dataClass) return [];
    const rows = this.db.prepare(this.selectSql).all(recordedBefore) as ItemRow[];
    return rows.map((row) => this.toItem(row));
  }

  async erase(item: RetainedItem): Promise<void> {
    this.db.prepare(this.deleteSql).run(item.id);
    if (item.location !== undefined) await unlinkDurably(item.location);
  }

  private toItem(row: ItemRow): RetainedItem {
    const cameraId = row.camera_id ?? undefined;
    const cameraKind = cameraId === undefined ? undefined : this.options.cameraKindOf?.(cameraId);
    const tags = parseTags(row.tags);
    return {
      id: String(row.id),
      dataClass: this.options.dataClass,
      recordedAt: row.recorded_at,
      ...(row.recorded_until == null ? {} : { recordedUntil: row.recorded_until }),
      ...(cameraId === undefined ? {} : { cameraId }),
      ...(cameraKind === undefined ? {} : { cameraKind }),
      ...(tags ? { tags } : {}),
      ...(row.file ? { location: row.file } : {}),
    };
  }
}
