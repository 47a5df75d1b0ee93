/**
 * Retention vocabulary and the ports the sweeper acts through. Retention never touches the audit log;
 * it only appends to it.
 */

import type { CameraKind, DataClass } from '../shared/types.js';

export { CAMERA_KINDS, DATA_CLASSES, type CameraKind, type DataClass } from '../shared/types.js';

/** One retained thing as an inventory reports it. */
export interface RetainedItem {
  /** Unique within its source, e.g. a segment id or a file path relative to the spool. */
  readonly id: string;
  readonly dataClass: DataClass;
  readonly cameraId?: string;
  /** Unknown kinds are treated as fixed cameras (the shorter default). */
  readonly cameraKind?: CameraKind;
  readonly tags?: readonly string[];
  /** Recording time (start of a segment), ms since epoch; every maximum age runs from here. */
  readonly recordedAt: number;
  /** End of the recorded span when it has one; holds match the whole span [recordedAt, recordedUntil]. */
  readonly recordedUntil?: number;
  /** Source-specific handle the eraser needs after the catalog row is gone (e.g. a file path). */
  readonly location?: string;
}

/**
 * Where retained items live and how they are erased (vault, spool, catalog tables). `erase` is
 * idempotent: erasing an item that is already gone succeeds, so an interrupted sweep can be rerun.
 */
export interface RetentionSource {
  /** Stable name, stored in the deletion journal to find the source again after a crash. */
  readonly name: string;
  readonly dataClasses: readonly DataClass[];
  /** Items of `dataClass` recorded strictly before `recordedBefore` (older items are the only candidates). */
  list(dataClass: DataClass, recordedBefore: number): Promise<readonly RetainedItem[]>;
  /** Makes the item unrecoverable in one atomic step (crypto-shred, file unlink, row delete). */
  erase(item: RetainedItem): Promise<void>;
}

/** A rule as operators write it: a maximum age for a class, optionally narrowed by scope. */
export interface RetentionRule {
  readonly id: string;
  readonly dataClass: DataClass;
  readonly maxAgeHours: number;
  readonly cameraIds?: readonly string[];
  readonly cameraKind?: CameraKind;
  readonly tags?: readonly string[];
  /** Required for originals of fixed cameras kept longer than the statutory default. */
  readonly justification?: string;
  readonly description?: string;
}

/** Class defaults and city-wide ceilings (administrator configuration). */
export interface RetentionLimits {
  readonly defaultsHours: Readonly<Record<DataClass, number>> & { readonly originalBodyWorn: number };
  readonly ceilingsHours: Readonly<Record<DataClass, number>>;
}

export interface LegalHold {
  readonly id: string;
  readonly cameraIds: readonly string[];
  /** Recording-time window the hold covers, ms since epoch, inclusive start, exclusive end. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly caseNumber: string;
  readonly reason: string;
  readonly expiresAt?: number;
  readonly placedBy: string;
  readonly placedAt: number;
  readonly liftedBy?: string;
  readonly liftedAt?: number;
  readonly liftReason?: string;
}

/** Which rule decides an item's expiry. Class defaults have ids `default:<class>`. */
export interface Expiry {
  readonly expiresAt: number;
  readonly ruleId: string;
  readonly maxAgeHours: number;
}
