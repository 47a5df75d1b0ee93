import type { CameraKind, DataClass, MaskPolygon } from './types.js';

/**
 * Contracts between modules. A module that needs another's service depends on one of these ports;
 * only `app.ts` connects a port to the concrete class that implements it.
 */

/** One event for the hash-chained audit log (P7). `append` throws PGW_ERR_AUDIT_UNAVAILABLE when it cannot write. */
export interface AuditEvent {
  /** Who did it: a principal's subject, or `system:<component>`. */
  readonly actor: string;
  readonly role?: string;
  /** Dotted verb, e.g. `access.approve`, `retention.delete`, `auth.failure`. */
  readonly action: string;
  /** What it was done to, e.g. `segment:<id>`, `request:<id>`. */
  readonly object: string;
  readonly outcome: 'success' | 'failure' | 'denied';
  /** Case number, purpose, approver, reason, counts; never secrets or raw identifiers. */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * Deterministic key for events a crashed component may append again on recovery (e.g. a retention
   * deletion): the log keeps at most one record per key, and a repeated append is a no-op.
   */
  readonly idempotencyKey?: string;
}

export interface AuditPort {
  append(event: AuditEvent): void;
}

/** An original (unredacted) segment as cut from the camera's own bitstream; lives in memory only. */
export interface OriginalSegment {
  readonly segmentId: string;
  readonly cameraId: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Container of `data`, e.g. `mp4` (fragmented). */
  readonly container: string;
  readonly data: Buffer;
  /** Static privacy masks of the camera when this was captured (none when absent); unredacted exports apply them (A6). */
  readonly privacyMasks?: readonly MaskPolygon[];
}

/** Where originals go (P2: the only implementation that writes to disk encrypts first). */
export interface OriginalsPort {
  store(segment: OriginalSegment): Promise<{ originalId: string; sha256: string }>;
  /** Live (not shredded) originals of a camera that overlap [fromMs, toMs), oldest first. */
  overlapping(cameraId: string, fromMs: number, toMs: number): { originalId: string; sha256: string; startMs: number; endMs: number }[];
}

/** A short-lived key wrapped by the vault's key-encryption key. */
export interface SealedKey {
  readonly kekId: string;
  /** base64 */
  readonly wrapped: string;
}

/**
 * Seals the key of a work file holding an original (an upload waiting to be redacted) under the vault's active
 * KEK, so that the file can be read after a restart while neither it nor its key lies on disk in the clear.
 */
export interface KeySealPort {
  sealKey(key: Buffer, aad: Buffer): Promise<SealedKey>;
  /** Throws when the KEK is gone (destroyed by a rotation since). */
  unsealKey(sealed: SealedKey, aad: Buffer): Promise<Buffer>;
}

/**
 * Keys sealed by the vault's KEK that live outside the catalog (an upload's key beside its waiting clip). A KEK
 * rotation re-seals them under the new KEK before it destroys the old one.
 */
export interface SealedKeyHolder {
  /**
   * Re-seals every held key not sealed under `activeKekId` with `reseal` (null: that key's KEK is already gone) and
   * stores it durably; returns how many were re-sealed. Throws when one could not be stored: the rotation then
   * keeps the old KEK and finishes at the next start.
   */
  resealUnder(activeKekId: string, reseal: (sealed: SealedKey, aad: Buffer) => Promise<SealedKey | null>): Promise<number>;
}

/** Kinds of artefacts that may leave the box through the uplink (P8). */
export type OutboxKind = 'segment' | 'sidecar' | 'sensor_record' | 'sensor_aggregate' | 'audit_checkpoint';

export interface OutboxItem {
  readonly kind: OutboxKind;
  /** Deterministic idempotency key: artefact id + content hash. Redelivery never duplicates. */
  readonly key: string;
  /** Ordering group, e.g. a camera id; sinks that need order deliver a group in enqueue order. */
  readonly group?: string;
  /** Small JSON payload (records, sidecars, checkpoints). */
  readonly body?: Readonly<Record<string, unknown>>;
  /** Large payloads stay on disk (spool); the outbox stores the path. */
  readonly filePath?: string;
  readonly contentType?: string;
  /** When central storage should delete it (retention carried upstream), ms since epoch. */
  readonly expiresAt?: number;
}

export interface OutboxPort {
  enqueue(item: OutboxItem): void;
}

/** What retention needs to know about an object (retained or forwarded) to date it. */
export interface ForwardedObject {
  /** Unique within its source, e.g. a segment id or a file path relative to the spool. */
  readonly id: string;
  readonly dataClass: DataClass;
  readonly cameraId?: string;
  readonly cameraKind?: CameraKind;
  readonly tags?: readonly string[];
  /** Recording time (start of a segment), ms since epoch; every maximum age runs from here. */
  readonly recordedAt: number;
  /** End of the recorded span when it has one; holds match the whole span [recordedAt, recordedUntil]. */
  readonly recordedUntil?: number;
}

/**
 * Retention carried upstream: producers put `expiresAt` on outbox items (and `legalHold` into object
 * metadata) so central storage enforces the same policy. Implemented by the retention service.
 */
export interface ExpiryPort {
  forwardingExpiry(object: ForwardedObject): { expiresAt: number; legalHold: boolean };
}

/** Disk pressure signal of the spool (H3): ingestion stops accepting new originals while it says no. */
export interface StoragePressurePort {
  acceptingOriginals(): boolean;
}

/** A spooled artefact that eviction is about to delete. */
export interface SpooledArtefact {
  readonly path: string;
  readonly key: string;
  readonly kind: OutboxKind;
  readonly group: string | null;
  readonly createdAt: number;
}

/** Legal holds as seen by eviction: held data is never evicted (H3, P6). */
export interface HoldPort {
  isHeld(item: SpooledArtefact): boolean;
}
