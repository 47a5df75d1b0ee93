import { describe, expect, it } from 'vitest';
import { overlappingTiles } from '../../src/vision/profiles/profile-detector.js';

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
});
