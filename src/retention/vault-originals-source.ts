import type { CatalogDatabase } from '../catalog/database.js';
import type { CameraKind, DataClass, RetainedItem, RetentionSource } from './types.js';

/** One live original (its data key still exists) as the vault lists it. */
export interface LiveOriginal {
  readonly originalId: string;
  readonly cameraId: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** The vault's side of retention: `Vault.shred` plus a listing of live originals. */
export interface OriginalsRetentionPort {
  /** Originals whose data key still exists and whose recording started before `recordedBefore`. */
  liveOriginals(recordedBefore: number): readonly LiveOriginal[];
  /** Crypto-shred: destroys the wrapped data key (then the ciphertext); false when it was already gone. */
  shred(originalId: string, by: { actor: string; details?: Readonly<Record<string, unknown>> }): boolean;
}

/**
 * Originals are erased by crypto-shredding: destroying the per-segment data key is the one atomic step
 * after which the ciphertext is unreadable; removing the file afterwards is housekeeping.
 */
export class VaultOriginalsSource implements RetentionSource {
  readonly name = 'vault';
  readonly dataClasses: readonly DataClass[] = ['original'];

  constructor(
    private readonly vault: OriginalsRetentionPort,
    private readonly cameraKindOf?: (cameraId: string) => CameraKind | undefined,
  ) {}

  async list(dataClass: DataClass, recordedBefore: number): Promise<readonly RetainedItem[]> {
    if (dataClass !== 'original') return [];
    return this.vault.liveOriginals(recordedBefore).map((original) => {
      const cameraKind = this.cameraKindOf?.(original.cameraId);
      return {
        id: original.originalId,
        dataClass: 'original',
        cameraId: original.cameraId,
        recordedAt: original.startMs,
        recordedUntil: original.endMs,
        ...(cameraKind === undefined ? {} : { cameraKind }),
      };
    });
  }

  async erase(item: RetainedItem): Promise<void> {
    this.vault.shred(item.id, { actor: 'system:retention', details: { reason: 'retention expiry' } });
  }
}

/** Lists live originals from the vault's catalog table (`vault_originals`, written by the vault). */
export function liveOriginalsFromCatalog(db: CatalogDatabase): (recordedBefore: number) => LiveOriginal[] {
  const select = db.prepare(
    'SELECT original_id AS originalId, camera_id AS cameraId, start_ms AS startMs, end_ms AS endMs FROM vault_originals WHERE shredded_at IS NULL AND start_ms < ? ORDER BY start_ms',
  );
  return (recordedBefore) => select.all(recordedBefore) as LiveOriginal[];
}
