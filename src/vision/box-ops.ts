import type { Box, Detection } from './detector.js';

export function area(box: Box): number {
  return Math.max(0, box.w) * Math.max(0, box.h);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of `inner` that lies inside `outer`. */
export function containment(inner: Box, outer: Box): number {
  const a = area(inner);
  return a > 0 ? intersection(inner, outer) / a : 0;
}

/** Clips a box to the image; returns undefined when nothing is left. */
export function clipBox<T extends Box>(box: T, width: number, height: number): T | undefined {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.w);
  const y1 = Math.min(height, box.y + box.h);
  if (x1 - x0 < 1 || y1 - y0 < 1) return undefined;
  return { ...box, x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** How a detector's box is grown for redaction: scale factors about the centre plus a vertical shift (in box heights). */
export interface Padding {
  readonly scaleW: number;
  readonly scaleH: number;
  /** Positive moves the padded box up (faces: forehead and hair are cut by tight detector boxes). */
  readonly shiftUp: number;
  /** Minimum padded side in pixels, so tiny boxes still hide something recognisable around them. */
  readonly minSide: number;
  /** Minimum padded width in multiples of the unpadded height (0: none), for boxes known to be part of a wider object. */
  readonly minWidthPerHeight: number;
}

export function padBox<T extends Box>(box: T, padding: Padding): T {
  const w = Math.max(box.w * padding.scaleW, box.h * padding.minWidthPerHeight, padding.minSide);
  const h = Math.max(box.h * padding.scaleH, padding.minSide);
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2 - padding.shiftUp * box.h;
  return { ...box, x: cx - w / 2, y: cy - h / 2, w, h };
}

/**
 * Greedy non-maximum suppression by score. A lower-scored box is dropped when it overlaps a kept box by IoU
 * above `iouThreshold` or lies mostly (≥ `containThreshold`) inside it; the kept box grows to their union so
 * merged detections never shrink the redacted area.
 */
export function suppress(detections: readonly Detection[], iouThreshold: number, containThreshold = 0.8): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    const match = kept.find(
      (k) => k.cls === candidate.cls && (iou(k, candidate) > iouThreshold || containment(candidate, k) >= containThreshold),
    );
    if (!match) {
      kept.push({ ...candidate });
      continue;
    }
    const x0 = Math.min(match.x, candidate.x);
    const y0 = Math.min(match.y, candidate.y);
    const x1 = Math.max(match.x + match.w, candidate.x + candidate.w);
    const y1 = Math.max(match.y + match.h, candidate.y + candidate.h);
    Object.assign(match, { x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  return kept;
}

/** Greedy non-maximum suppression (highest score first), as TF's NonMaxSuppressionV3. */
export function nonMaxSuppression(boxes: readonly Detection[], iouThreshold: number, maxBoxes: number): Detection[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const box of sorted) {
    if (kept.length >= maxBoxes) break;
    if (!kept.some((k) => iou(k, box) > iouThreshold)) kept.push(box);
  }
  return kept;
}
