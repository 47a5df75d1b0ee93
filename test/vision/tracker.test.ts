import { describe, expect, it } from 'vitest';
import type { Box, Detection } from '../../src/vision/detector.js';
import { iou, Tracker } from '../../src/vision/tracker.js';

const OPTIONS = { frameWidth: 640, frameHeight: 360, ttlMs: 1000, lookaheadMs: 1000, agePadding: 0.6, motionPadding: 0.5 };

function face(x: number, y: number, w = 40, h = 40): Detection {
  return { x, y, w, h, cls: 'face', score: 0.9 };
}

function covers(outer: Box, inner: Box): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.w >= inner.x + inner.w && outer.y + outer.h >= inner.y + inner.h;
}

describe('iou', () => {
  it.each([
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 0, y: 0, w: 10, h: 10 }, 1],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 }, 50 / 150],
    [{ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 0, w: 10, h: 10 }, 0],
  ])('%o vs %o → %f', (a, b, expected) => {
    expect(iou(a, b)).toBeCloseTo(expected);
  });
});

describe('Tracker', () => {
  it('returns detector boxes on analysed frames and interpolated, covering boxes between them', () => {
    const tracker = new Tracker(OPTIONS);
    tracker.addDetections(0, [face(100, 100)]);
    tracker.addDetections(200, [face(140, 100)]);
    expect(tracker.regionsAt(0)).toEqual([expect.objectContaining({ x: 100, y: 100, w: 40, h: 40, source: 'detector', cls: 'face' })]);
    for (const t of [40, 80, 120, 160]) {
      const [region] = tracker.regionsAt(t);
      expect(region?.source).toBe('track');
      expect(covers(region!, face(100 + (40 * t) / 200, 100))).toBe(true);
    }
    expect(tracker.regionsAt(200)[0]?.source).toBe('detector');
  });

  it('predicts forward after the last hit with growing padding, then drops the track after ttl', () => {
    const tracker = new Tracker(OPTIONS);
    tracker.addDetections(0, [face(100, 100)]);
    tracker.addDetections(100, [face(120, 100)]);
    const near = tracker.regionsAt(200)[0]!;
    const far = tracker.regionsAt(800)[0]!;
    expect(near.source).toBe('track');
    expect(covers(near, face(140, 100))).toBe(true);
    expect(far.w).toBeGreaterThan(near.w);
    expect(covers(far, face(240, 100))).toBe(true);
    expect(tracker.regionsAt(1101)).toEqual([]);
  });

  it('back-fills the frames before the first hit (look-ahead) along the first known motion', () => {
    const tracker = new Tracker(OPTIONS);
    tracker.addDetections(400, [face(200, 100)]);
    tracker.addDetections(600, [face(240, 100)]);
    const region = tracker.regionsAt(200)[0]!;
    expect(region.source).toBe('lookahead');
    expect(covers(region, face(160, 100))).toBe(true);
    expect(tracker.regionsAt(0)[0]?.source).toBe('lookahead');
  });

  it('keeps two objects apart and clips boxes to the frame', () => {
    const tracker = new Tracker(OPTIONS);
    tracker.addDetections(0, [face(10, 10), face(600, 300)]);
    tracker.addDetections(100, [face(605, 305), face(12, 10)]);
    expect(tracker.trackCount).toBe(2);
    const regions = tracker.regionsAt(500);
    expect(regions).toHaveLength(2);
    for (const r of regions) {
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.x + r.w).toBeLessThanOrEqual(640);
      expect(r.y + r.h).toBeLessThanOrEqual(360);
    }
  });

  it('starts a new track for a detection far from every prediction', () => {
    const tracker = new Tracker(OPTIONS);
    tracker.addDetections(0, [face(10, 10)]);
    tracker.addDetections(100, [face(400, 200)]);
    expect(tracker.trackCount).toBe(2);
  });
});
