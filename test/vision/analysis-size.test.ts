import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector } from '../../src/vision/detector.js';
import { createProfileDetector } from '../../src/vision/profiles/index.js';

describe('analysis image size per profile', () => {
  let thorough: Detector;
  let live: Detector;

  beforeAll(async () => {
    thorough = await createProfileDetector('thorough', { modelsDir: 'models', classes: ['plate'] });
    live = await createProfileDetector('live', { modelsDir: 'models', classes: ['plate'] });
  });

  afterAll(async () => {
    await thorough.dispose();
    await live.dispose();
  });

  it('analyses thorough jobs at the source resolution up to 4K', () => {
    expect(thorough.inputSize(1920, 1080)).toEqual({ width: 1920, height: 1080 });
    expect(thorough.inputSize(4000, 3000)).toEqual({ width: 4000, height: 3000 });
    expect(thorough.inputSize(2160, 3840)).toEqual({ width: 2160, height: 3840 });
  });

  it('analyses larger thorough pictures at 4096 px on the long side, keeping their shape', () => {
    expect(thorough.inputSize(8000, 6000)).toEqual({ width: 4096, height: 3072 });
    expect(thorough.inputSize(7680, 4320)).toEqual({ width: 4096, height: 2304 });
    expect(thorough.inputSize(6000, 16000)).toEqual({ width: 1536, height: 4096 });
  });

  it('analyses live frames at 1280 px on the long side', () => {
    expect(live.inputSize(1920, 1080)).toEqual({ width: 1280, height: 720 });
    expect(live.inputSize(640, 360)).toEqual({ width: 640, height: 360 });
  });
});
