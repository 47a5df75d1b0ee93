import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { redactorRegionSource } from '../../src/cli/eval-redactor-source.js';
import { evaluateSet } from '../../src/cli/eval-run.js';
import { loadEvalSet } from '../../src/cli/eval-sets.js';
import { createLogger } from '../../src/shared/logger.js';

/**
 * A small fixed subset of the real dev sets (spread over each set, the same on every run) through the same file
 * redactor as `privacy-gateway redact` with the thorough profile. Measured on these images: ro 0.75 (3 of 4
 * plates), openalpr 0.80 (4 of 5), wider 0.84 (all sizes); the floors sit just below, so only a real regression fails.
 */
const CASES = [
  { labels: '../shared/eval/ro_dashcam_plates/labels.json', images: 5, cls: 'plate' as const, floor: 0.7 },
  { labels: '../shared/eval/openalpr_plates/labels.json', images: 5, cls: 'plate' as const, floor: 0.75 },
  { labels: '../shared/eval/wider_face_street/labels.json', images: 2, cls: 'face' as const, floor: 0.8 },
];

describe('detection regression on a fixed subset of the dev sets', () => {
  for (const testCase of CASES) {
    it(`keeps ${testCase.cls} recall on ${testCase.labels} at or above ${testCase.floor}`, async () => {
      const set = await loadEvalSet(testCase.labels, testCase.images);
      const config = loadConfig({ env: {} });
      const logger = createLogger({ level: 'warn' });
      const { source, close } = await redactorRegionSource({ profile: 'thorough', modelsDir: 'models', classes: [testCase.cls], config, logger });
      try {
        const [result] = await evaluateSet(set, source);
        expect(result?.score.boxes).toBeGreaterThan(0);
        expect(result?.score.recall).toBeGreaterThanOrEqual(testCase.floor);
      } finally {
        await close();
      }
    });
  }
});
