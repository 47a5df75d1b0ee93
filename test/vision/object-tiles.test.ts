import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/vision/detector.js';
import { mergeTileObjects, overlappingTiles } from '../../src/vision/profiles/profile-detector.js';

const image = (width: number, height: number) => ({ width, height, data: new Uint8Array(0) });

describe('object detector tiles', () => {
  it('covers a wide frame with overlapping, roughly square tiles and leaves square frames whole', () => {
    const tiles = overlappingTiles(image(1920, 1080));
    expect(tiles).toEqual([
      { left: 0, top: 0, width: 1200, height: 1080 },
      { left: 720, top: 0, width: 1200, height: 1080 },
    ]);
    expect(overlappingTiles(image(1000, 900))).toEqual([]);
    const portrait = overlappingTiles(image(720, 2200));
    expect(portrait).toHaveLength(3);
    expect(portrait[0]).toMatchObject({ left: 0, top: 0, width: 720 });
    expect((portrait[2]?.top ?? 0) + (portrait[2]?.height ?? 0)).toBe(2200);
  });

  it('keeps one box per object across whole image and tiles, per class', () => {
    const box = (cls: Detection['cls'], x: number, score: number): Detection => ({ cls, score, x, y: 100, w: 200, h: 300 });
    const merged = mergeTileObjects([box('vehicle', 100, 0.7), box('person', 110, 0.9), box('vehicle', 105, 0.8), box('vehicle', 600, 0.5)]);
    // The tile's duplicate of the first vehicle goes; the person in front of it and the far vehicle stay.
    expect(merged.map((d) => [d.cls, d.x])).toEqual([['vehicle', 105], ['vehicle', 600], ['person', 110]]);
  });
});
