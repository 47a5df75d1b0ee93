/**
 * Redaction scoring, pure functions. A ground-truth box counts as redacted when at least COVERAGE_THRESHOLD of
 * its area lies under the union of redacted regions. Precision is the share of redacted area that lies on
 * ground truth; area on `ignore` boxes (outside real ground truth) counts neither way.
 */
import type { Box } from '../vision/detector.js';

export const COVERAGE_THRESHOLD = 0.9;
export const FACE_BUCKETS = ['<10', '10-32', '>=32'] as const;
export type SizeBucket = (typeof FACE_BUCKETS)[number];

export interface LabelBox extends Box {
  readonly cls: string;
  readonly ignore: boolean;
}

export function sizeBucket(box: Box): SizeBucket {
  const side = Math.min(box.w, box.h);
  if (side < 10) return '<10';
  return side < 32 ? '10-32' : '>=32';
}

/** Exact area of (union of `rects`) ∩ `clip`, by coordinate compression. */
export function unionAreaWithin(rects: readonly Box[], clip: Box): number {
  const parts: Box[] = [];
  for (const r of rects) {
    const x0 = Math.max(r.x, clip.x), y0 = Math.max(r.y, clip.y);
    const x1 = Math.min(r.x + r.w, clip.x + clip.w), y1 = Math.min(r.y + r.h, clip.y + clip.h);
    if (x1 > x0 && y1 > y0) parts.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  if (parts.length === 0) return 0;
  const xs = [...new Set(parts.flatMap((p) => [p.x, p.x + p.w]))].sort((a, b) => a - b);
  let total = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    const left = xs[i] as number, right = xs[i + 1] as number;
    const spans = parts
      .filter((p) => p.x <= left && p.x + p.w >= right)
      .map((p) => [p.y, p.y + p.h] as const)
      .sort((a, b) => a[0] - b[0]);
    let covered = 0, end = -Infinity;
    for (const [top, bottom] of spans) {
      if (bottom <= end) continue;
      covered += bottom - Math.max(top, end);
      end = bottom;
    }
    total += covered * (right - left);
  }
  return total;
}

export function coverage(box: Box, regions: readonly Box[]): number {
  const a = box.w * box.h;
  return a > 0 ? unionAreaWithin(regions, box) / a : 0;
}

export interface ImageScore {
  /** One entry per non-ignored ground-truth box of the scored class. */
  readonly boxes: readonly { readonly bucket: SizeBucket; readonly covered: boolean; readonly coverage: number }[];
  /** Redacted area of the scored class inside the image, minus area that only touches ignore boxes. */
  readonly redactedArea: number;
  /** Part of redactedArea that lies on ground-truth boxes. */
  readonly truePositiveArea: number;
}

/** Area of union(a) ∩ union(b), both clipped to the image, by rasterising at one-pixel resolution. */
function rasterise(rects: readonly Box[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const r of rects) {
    const x0 = Math.max(0, Math.round(r.x)), x1 = Math.min(width, Math.round(r.x + r.w));
    const y0 = Math.max(0, Math.round(r.y)), y1 = Math.min(height, Math.round(r.y + r.h));
    for (let y = y0; y < y1; y++) mask.fill(1, y * width + x0, y * width + Math.max(x0, x1));
  }
  return mask;
}

/** Scores one image: `labels` and `regions` must already be filtered to the scored class. */
export function scoreImage(labels: readonly LabelBox[], regions: readonly Box[], width: number, height: number): ImageScore {
  const boxes = labels
    .filter((label) => !label.ignore)
    .map((label) => {
      const share = coverage(label, regions);
      return { bucket: sizeBucket(label), covered: share >= COVERAGE_THRESHOLD, coverage: share };
    });
  const redacted = rasterise(regions, width, height);
  const truth = rasterise(labels.filter((l) => !l.ignore), width, height);
  const ignored = rasterise(labels.filter((l) => l.ignore), width, height);
  let redactedArea = 0, truePositiveArea = 0;
  for (let i = 0; i < redacted.length; i++) {
    if (redacted[i] === 0) continue;
    if (truth[i] === 1) truePositiveArea += 1;
    else if (ignored[i] === 1) continue;
    redactedArea += 1;
  }
  return { boxes, redactedArea, truePositiveArea };
}

export interface SetScore {
  readonly images: number;
  readonly boxes: number;
  readonly recall: number;
  readonly byBucket: Readonly<Record<SizeBucket, { readonly boxes: number; readonly recall: number }>>;
  readonly precision: number;
}

export function aggregate(scores: readonly ImageScore[]): SetScore {
  const all = scores.flatMap((s) => s.boxes);
  const recallOf = (list: readonly { covered: boolean }[]): number => (list.length === 0 ? Number.NaN : list.filter((b) => b.covered).length / list.length);
  const byBucket = Object.fromEntries(
    FACE_BUCKETS.map((bucket) => {
      const inBucket = all.filter((b) => b.bucket === bucket);
      return [bucket, { boxes: inBucket.length, recall: recallOf(inBucket) }];
    }),
  ) as Record<SizeBucket, { boxes: number; recall: number }>;
  const redacted = scores.reduce((sum, s) => sum + s.redactedArea, 0);
  const truePositive = scores.reduce((sum, s) => sum + s.truePositiveArea, 0);
  return {
    images: scores.length,
    boxes: all.length,
    recall: recallOf(all),
    byBucket,
    precision: redacted > 0 ? truePositive / redacted : Number.NaN,
  };
}
