import { describe, expect, it } from 'vitest';
import { padBox, type Padding } from '../../src/vision/box-ops.js';

const plate: Padding = { scaleW: 1.3, scaleH: 1.9, shiftUp: 0, minSide: 0, minWidthPerHeight: 4.5 };

describe('box padding', () => {
  it('widens a text fragment narrower than a plate line around its centre', () => {
    // "10 ST" of "B 10 ST": 60 x 20, so the plate line is at least 4.5 x 20 = 90 wide.
    const padded = padBox({ x: 100, y: 50, w: 60, h: 20 }, plate);
    expect(padded.w).toBeCloseTo(90, 6);
    expect(padded.x + padded.w / 2).toBeCloseTo(130, 6);
    expect(padded.h).toBeCloseTo(38, 6);
    expect(padded.y + padded.h / 2).toBeCloseTo(60, 6);
  });

  it('scales a full plate line by its width factor when that is wider', () => {
    const padded = padBox({ x: 0, y: 0, w: 100, h: 20 }, plate);
    expect(padded.w).toBeCloseTo(130, 6);
    expect(padded.x).toBeCloseTo(-15, 6);
  });

  it('keeps the minimum side and moves the box up by shiftUp heights', () => {
    const face = padBox({ x: 10, y: 10, w: 4, h: 4 }, { scaleW: 1.5, scaleH: 1.6, shiftUp: 0.5, minSide: 12, minWidthPerHeight: 0 });
    expect(face).toMatchObject({ w: 12, h: 12 });
    expect(face.y + face.h / 2).toBeCloseTo(10, 6);
  });
});
