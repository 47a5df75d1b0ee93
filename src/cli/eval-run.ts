import { aggregate, scoreImage, type ImageScore, type SetScore } from './eval-scoring.js';
import type { EvalSet } from './eval-sets.js';
import type { Box } from '../vision/detector.js';

/** A redacted region as the redaction report gives it, in source-image pixels. */
export interface EvalRegion extends Box {
  readonly class: string;
  readonly score: number;
}

/** Runs one image through the redaction path: its regions and the detection time. */
export type RegionSource = (imagePath: string) => Promise<{ regions: EvalRegion[]; detectMs: number }>;

/** Region classes that redact a labelled class: a head box hides the face inside it. */
const REDACTS: Readonly<Record<string, readonly string[]>> = { face: ['face', 'head'], plate: ['plate'] };

export interface SetResult {
  readonly set: string;
  readonly cls: string;
  readonly score: SetScore;
  readonly meanDetectMs: number;
}

/** Scores every image of a set for each class it is labelled for. */
export async function evaluateSet(set: EvalSet, source: RegionSource, onImage?: (done: number, total: number) => void): Promise<SetResult[]> {
  const perClass = new Map<string, ImageScore[]>(set.classes.map((cls) => [cls, []]));
  let totalMs = 0;
  for (const [index, image] of set.images.entries()) {
    const { regions, detectMs } = await source(image.path);
    totalMs += detectMs;
    for (const [cls, scores] of perClass) {
      const redacting = REDACTS[cls] ?? [cls];
      const own = regions.filter((r) => redacting.includes(r.class));
      scores.push(scoreImage(image.boxes.filter((b) => b.cls === cls), own, image.width, image.height));
    }
    onImage?.(index + 1, set.images.length);
  }
  const meanDetectMs = set.images.length > 0 ? totalMs / set.images.length : 0;
  return [...perClass].map(([cls, scores]) => ({ set: set.name, cls, score: aggregate(scores), meanDetectMs }));
}
