import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CatalogDatabase } from '../catalog/database.js';
import type { Clock } from '../shared/clock.js';
import { GatewayError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort, KeySealPort, OriginalSegment, OriginalsPort, SealedKey, SealedKeyHolder } from '../shared/ports.js';
import { removeFileDurably, writeFileAtomic } from './atomic-file.js';
import type { KeyProvider } from './key-provider.js';
import { OriginalsStore, type OriginalRecord } from './originals-store.js';
import { decryptSegment, encryptSegment, type BoundMetadata } from './segment-cipher.js';

export interface VaultOptions {
  db: CatalogDatabase;
  /** Root of the encrypted files: `<vaultDir>/<camera>/<day>/<originalId>.enc`. */
  vaultDir: string;
  keys: KeyProvider;
  audit: AuditPort;
  clock: Clock;
  logger: Logger;
  chunkBytes: number;
  rotationBatch: number;
}

/** Who asks the vault to act, for the audit record. */
export interface VaultActor {
  readonly actor: string;
  readonly role?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface RotationProgress {
  readonly fromKeks: readonly string[];
  readonly toKek: string;
  readonly rewrapped: number;
}

const SAFE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

function directoryName(cameraId: string): string {
  return SAFE_NAME.test(cameraId) && !cameraId.startsWith('.') ? cameraId : `cam-${createHash('sha256').update(cameraId).digest('hex').slice(0, 16)}`;
}

/**
 * Envelope-encrypted store of original segments (P2): a fresh 256-bit data key per segment,
 * chunked AES-256-GCM with the segment's identity bound as associated data, the data key wrapped by
 * the provider's active KEK. Plaintext exists only in memory; files hold ciphertext from the first byte.
 */
export class Vault implements OriginalsPort, KeySealPort {
  private readonly store_: OriginalsStore;
  private readonly log: Logger;
  private readonly holders: SealedKeyHolder[] = [];

  constructor(private readonly options: VaultOptions) {
    this.store_ = new OriginalsStore(options.db);
    this.log = options.logger.child({ module: 'vault' });
  }

  /** Crash recovery: removes interrupted temp files and orphans, finishes an interrupted KEK rotation. */
  async start(): Promise<void> {
    // Deleted catalog content (shredded data keys) is overwritten with zeros, not left in free pages.
    this.options.db.pragma('secure_delete = ON');
    this.removeStrayFiles();
    await this.finishRotation();
  }

  async store(segment: OriginalSegment): Promise<{ originalId: string; sha256: string }> {
    if (!(segment.endMs >= segment.startMs) || segment.segmentId.length === 0 || segment.cameraId.length === 0) {
      throw new GatewayError('PGW_ERR_BAD_REQUEST', 'original segment needs ids and a time range with end >= start', { segmentId: segment.segmentId });
    }
    const sha256 = createHash('sha256').update(segment.data).digest('hex');
    // Storing the same segment again (a job re-run after a crash) returns the original already stored.
    const existing = this.store_.bySegmentId(segment.segmentId);
    if (existing && existing.sha256 === sha256 && existing.shreddedAt === null) return { originalId: existing.originalId, sha256 };
    if (existing) {
      const held = existing.shreddedAt === null ? 'a different original' : 'an original, since erased,';
      throw new GatewayError('PGW_ERR_CONFLICT', `segment ${segment.segmentId} already has ${held} in the vault`, { segmentId: segment.segmentId });
    }
    const originalId = randomBytes(16).toString('hex');
    const meta: BoundMetadata = { originalId, segmentId: segment.segmentId, cameraId: segment.cameraId, startMs: segment.startMs, endMs: segment.endMs, container: segment.container };
    const dek = randomBytes(32);
    const kekId = this.options.keys.activeKekId();
    let sealed: Buffer;
    let wrapped: Buffer;
    try {
      sealed = encryptSegment(dek, segment.data, meta, this.options.chunkBytes);
      wrapped = await this.options.keys.wrap(kekId, dek, Buffer.from(originalId));
    } finally {
      dek.fill(0);
    }
    const day = new Date(segment.startMs).toISOString().slice(0, 10);
    const path = join(directoryName(segment.cameraId), day, `${originalId}.enc`);
    writeFileAtomic(join(this.options.vaultDir, path), sealed);
    this.store_.insert({ ...meta, sha256, plainBytes: segment.data.length, path, kekId, wrappedDek: wrapped, createdAt: this.options.clock.now(), shreddedAt: null, privacyMasks: segment.privacyMasks ?? [] });
    return { originalId, sha256 };
  }

  async sealKey(key: Buffer, aad: Buffer): Promise<SealedKey> {
    const kekId = this.options.keys.activeKekId();
    return { kekId, wrapped: (await this.options.keys.wrap(kekId, key, aad)).toString('base64') };
  }

  async unsealKey(sealed: SealedKey, aad: Buffer): Promise<Buffer> {
    return this.options.keys.unwrap(sealed.kekId, Buffer.from(sealed.wrapped, 'base64'), aad);
  }

  /** Keys sealed outside the catalog that every rotation re-seals before it retires a KEK; register before `start`. */
  holdSealedKeys(holder: SealedKeyHolder): void {
    this.holders.push(holder);
  }

  /** `sealed` re-sealed under `toKek`; null when it can no longer be unsealed (its KEK is gone). */
  private async reseal(sealed: SealedKey, aad: Buffer, toKek: string): Promise<SealedKey | null> {
    const key = await this.unsealKey(sealed, aad).catch(() => null);
    if (key === null) return null;
    try {
      return { kekId: toKek, wrapped: (await this.options.keys.wrap(toKek, key, aad)).toString('base64') };
    } finally {
      key.fill(0);
    }
  }

  get(originalId: string): OriginalRecord | undefined {
    return this.store_.get(originalId);
  }

  /** Live originals of the cameras lying entirely inside [fromMs, toMs]. */
  find(cameras: readonly string[], fromMs: number, toMs: number): OriginalRecord[] {
    return cameras.flatMap((camera) => this.store_.within(camera, fromMs, toMs));
  }

  overlapping(cameraId: string, fromMs: number, toMs: number): { originalId: string; sha256: string; startMs: number; endMs: number }[] {
    return this.store_.overlapping(cameraId, fromMs, toMs);
  }

  /** Live originals recorded before `beforeMs` (the retention sweeper's inventory). */
  recordedBefore(beforeMs: number): OriginalRecord[] {
    return this.store_.recordedBefore(beforeMs);
  }

  /**
   * Decrypts one original fully in memory. Any failed check (tag, bound metadata, wrapped key,
   * ingest hash) throws PGW_ERR_VAULT_INTEGRITY after an audit record; no plaintext is returned.
   */
  async open(originalId: string, by: VaultActor): Promise<Buffer> {
    const record = this.store_.get(originalId);
    if (!record) throw new GatewayError('PGW_ERR_NOT_FOUND', `no original ${originalId}`, { originalId });
    if (record.wrappedDek === null || record.kekId === null) {
      throw new GatewayError('PGW_ERR_VAULT_KEY_DESTROYED', `original ${originalId} was erased`, { originalId });
    }
    try {
      const dek = await this.options.keys.unwrap(record.kekId, record.wrappedDek, Buffer.from(originalId));
      const file = readFileSync(join(this.options.vaultDir, record.path));
      let plain: Buffer;
      try {
        plain = decryptSegment(dek, file, record);
      } finally {
        dek.fill(0);
      }
      if (createHash('sha256').update(plain).digest('hex') !== record.sha256) {
        plain.fill(0);
        throw new GatewayError('PGW_ERR_VAULT_INTEGRITY', `original ${originalId} does not match its ingest SHA-256`, { originalId });
      }
      return plain;
    } catch (error) {
      if (isGatewayError(error) && error.code === 'PGW_ERR_VAULT_INTEGRITY') this.reportTamper(record, by, error);
      throw error;
    }
  }

  private reportTamper(record: OriginalRecord, by: VaultActor, error: GatewayError): void {
    this.log.error({ originalId: record.originalId, cameraId: record.cameraId, reason: error.message }, 'original failed integrity check');
    this.options.audit.append({
      actor: by.actor,
      role: by.role,
      action: 'vault.integrity_failure',
      object: `original:${record.originalId}`,
      outcome: 'failure',
      details: { ...by.details, segmentId: record.segmentId, cameraId: record.cameraId, reason: error.message },
    });
  }

  /**
   * Crypto-shred: destroys the wrapped data key and writes the audit record in one transaction (no
   * audit, no deletion: F4), then removes the ciphertext file. Returns false if already erased.
   */
  shred(originalId: string, by: VaultActor): boolean {
    const record = this.store_.get(originalId);
    if (!record) throw new GatewayError('PGW_ERR_NOT_FOUND', `no original ${originalId}`, { originalId });
    const destroyed = this.options.db.transaction(() => {
      if (!this.store_.destroyKey(originalId, this.options.clock.now())) return false;
      this.options.audit.append({
        actor: by.actor,
        role: by.role,
        action: 'vault.shred',
        object: `original:${originalId}`,
        outcome: 'success',
        details: { ...by.details, segmentId: record.segmentId, cameraId: record.cameraId, startMs: record.startMs, endMs: record.endMs },
      });
      return true;
    })();
    // Freed pages were zeroed (secure_delete); the checkpoint also clears the key from the WAL.
    this.options.db.pragma('wal_checkpoint(TRUNCATE)');
    removeFileDurably(join(this.options.vaultDir, record.path));
    return destroyed;
  }

  /** Makes a new KEK active and re-wraps every data key under it; the old KEKs are then destroyed. */
  async rotateKek(by: VaultActor, onProgress?: (progress: RotationProgress) => Promise<void>): Promise<RotationProgress> {
    const fromKeks = this.options.keys.kekIds();
    const toKek = await this.options.keys.createAndActivate();
    this.options.audit.append({ actor: by.actor, role: by.role, action: 'vault.kek_rotate', object: `kek:${toKek}`, outcome: 'success', details: { retiring: fromKeks } });
    return this.finishRotation(onProgress);
  }

  /** Re-wraps data keys still under a non-active KEK in batches, then retires KEKs nothing uses. */
  async finishRotation(onProgress?: (progress: RotationProgress) => Promise<void>): Promise<RotationProgress> {
    const toKek = this.options.keys.activeKekId();
    const fromKeks = this.options.keys.kekIds().filter((id) => id !== toKek);
    let rewrapped = 0;
    await onProgress?.({ fromKeks, toKek, rewrapped });
    for (;;) {
      const batch = this.store_.wrappedUnderOtherThan(toKek, this.options.rotationBatch);
      if (batch.length === 0) break;
      const updates: { originalId: string; fromKek: string; wrapped: Buffer }[] = [];
      for (const { originalId, kekId, wrappedDek } of batch) {
        if (kekId === null || wrappedDek === null) continue;
        const aad = Buffer.from(originalId);
        const dek = await this.options.keys.unwrap(kekId, wrappedDek, aad);
        updates.push({ originalId, fromKek: kekId, wrapped: await this.options.keys.wrap(toKek, dek, aad) });
        dek.fill(0);
      }
      // One transaction per batch: a kill -9 leaves each data key wrapped under either the old or the new KEK.
      this.options.db.transaction(() => {
        for (const update of updates) this.store_.rewrap(update.originalId, update.fromKek, toKek, update.wrapped);
      })();
      rewrapped += updates.length;
      await onProgress?.({ fromKeks, toKek, rewrapped });
    }
    let resealed = 0;
    for (const holder of this.holders) resealed += await holder.resealUnder(toKek, (sealed, aad) => this.reseal(sealed, aad, toKek));
    const stillUsed = this.store_.countByKek();
    for (const kekId of fromKeks) {
      if (stillUsed[kekId] !== undefined) continue;
      await this.options.keys.retire(kekId);
      this.log.info({ kekId }, 'retired key-encryption key');
    }
    if (rewrapped > 0 || fromKeks.length > 0) this.options.audit.append({ actor: 'system:vault', action: 'vault.kek_retire', object: `kek:${toKek}`, outcome: 'success', details: { retired: fromKeks, rewrapped, resealed } });
    return { fromKeks, toKek, rewrapped };
  }

  /** Data keys per KEK (live originals only). */
  keyStatus(): { activeKek: string; originalsByKek: Record<string, number> } {
    return { activeKek: this.options.keys.activeKekId(), originalsByKek: this.store_.countByKek() };
  }

  /** Temp files of interrupted writes and ciphertext files never committed to the catalog hold no usable data; remove them. */
  private removeStrayFiles(): void {
    const root = this.options.vaultDir;
    if (!existsSync(root)) return;
    const known = this.store_.allPaths();
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      const path = relative(root, full);
      if (entry.name.endsWith('.tmp') || (entry.name.endsWith('.enc') && !known.has(path))) {
        rmSync(full, { force: true });
        this.log.warn({ path }, 'removed stray vault file');
      }
    }
  }
}
