import { isGatewayError } from '../shared/errors.js';
import type { OriginalRecord } from '../vault/originals-store.js';
import type { VaultActor } from '../vault/vault.js';
import type { CameraKind, DataClass, RetainedItem, RetentionSource } from './types.js';

/** What the sweeper needs from the vault. */
export interface OriginalsInventory {
  recordedBefore(beforeMs: number): readonly OriginalRecord[];
  shred(originalId: string, by: VaultActor): boolean;
}

/**
 * Originals in the vault as a retention source: erasing one is a crypto-shred (the wrapped data key
 * is destroyed together with its `vault.shred` audit record, then the ciphertext file is removed).
 * Erasing an original that is already shredded or unknown succeeds, so interrupted sweeps rerun cleanly.
 */
export class VaultRetentionSource implements RetentionSource {
  readonly name = 'vault';
  readonly dataClasses: readonly DataClass[] = ['original'];

  constructor(
    private readonly vault: OriginalsInventory,
    private readonly cameraKindOf: (cameraId: string) => CameraKind | undefined = () => undefined,
  ) {}

  async list(dataClass: DataClass, recordedBefore: number): Promise<readonly RetainedItem[]> {
    if (dataClass !== 'original') return [];
    return this.vault.recordedBefore(recordedBefore).map((record) => {
      const cameraKind = this.cameraKindOf(record.cameraId);
      return {
        id: record.originalId,
        dataClass: 'original',
        cameraId: record.cameraId,
        ...(cameraKind ? { cameraKind } : {}),
        recordedAt: record.startMs,
        recordedUntil: record.endMs,
      };
    });
  }

  async erase(item: RetainedItem): Promise<void> {
    try {
      this.vault.shred(item.id, { actor: 'system:retention', details: { dataClass: item.dataClass } });
    } catch (error) {
      if (isGatewayError(error) && error.code === 'PGW_ERR_NOT_FOUND') return;
      throw error;
    }
  }
}
