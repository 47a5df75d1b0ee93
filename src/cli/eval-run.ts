import { aggregate, scoreImage, type ImageScore, type SetScore } from './eval-scoring.js';
import type { EvalSet } from './eval-sets.js';
import { redactedDetectionClasses, type Box } from '../vision/detector.js';

/** A redacted region as the redaction report gives it, in source-image pixels. */
export interface EvalRegion extends Box {
  readonly class: string;
  readonly score: number;
}

/**
 * Runs one image through the redaction path: its regions, the detection wall time and, where known, the CPU time
 * the detection used (a steadier figure than wall time on a shared machine).
 */
export type RegionSource = (imagePath: string) => Promise<{ regions: EvalRegion[]; detectMs: number; detectCpuMs?: number }>;

/**
 * Region classes that redact a labelled class, as the redaction path decides it (a head box hides the face inside
 * it). A fail-closed whole frame (detector failure) is deliberately not counted, so a failing detector can never
 * look like a good one.
 */
function redactingClasses(labelled: string): ReadonlySet<string> {
  return labelled === 'face' || labelled === 'plate' ? redactedDetectionClasses([labelled]) : new Set([labelled]);
}

export interface SetResult {
  readonly set: string;
  readonly cls: string;
  readonly score: SetScore;
  readonly meanDetectMs: number;
  readonly meanDetectCpuMs: number | null;
}

/** Scores every image of a set for each class it is labelled for. */
export async function evaluateSet(set: EvalSet, source: RegionSource, onImage?: (done: number, total: number) => void): Promise<SetResult[]> {
  const perClass = new Map(set.classes.map((cls) => [cls, { redacting: redactingClasses(cls), scores: [] as ImageScore[] }]));
  let totalMs = 0;
  let totalCpuMs: number | null = 0;
  for (const [index, image] of set.images.entries()) {
    const { regions, detectMs, detectCpuMs } = await source(image.path);
    totalMs += detectMs;
    totalCpuMs = detectCpuMs === undefined || totalCpuMs === null ? null : totalCpuMs + detectCpuMs;
    for (const [cls, { redacting, scores }] of perClass) {
      const own = regions.filter((r) => redacting.has(r.class));
      scores.push(scoreImage(image.boxes.filter((b) => b.cls === cls), own, image.width, image.height));
    }
    onImage?.(index + 1, set.images.length);
  }
  const count = Math.max(1, set.images.length);
  const meanDetectCpuMs = totalCpuMs === null ? null : totalCpuMs / count;
  return [...perClass].map(([cls, { scores }]) => ({ set: set.name, cls, score: aggregate(scores), meanDetectMs: totalMs / count, meanDetectCpuMs }));
}
