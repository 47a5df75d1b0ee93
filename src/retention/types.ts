/**
 * Retention vocabulary and the ports the sweeper acts through. Retention never touches the audit log;
 * it only appends to it.
 */

import type { ForwardedObject } from '../shared/ports.js';
import type { CameraKind, DataClass } from '../shared/types.js';

export { CAMERA_KINDS, DATA_CLASSES, type CameraKind, type DataClass } from '../shared/types.js';

/**
 * One retained thing as an inventory reports it: what a forwarded copy carries (class, camera, kind,
 * tags, recording span; unknown camera kinds count as fixed, the shorter default) plus where it lives.
 */
export interface RetainedItem extends ForwardedObject {
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
