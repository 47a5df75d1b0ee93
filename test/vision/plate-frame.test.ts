import { describe, expect, it } from 'vitest';
import { containment, padBox } from '../../src/vision/box-ops.js';
import type { Box, Detection, RgbImage } from '../../src/vision/detector.js';
import { fitPlateFrame } from '../../src/vision/plates/plate-frame.js';
import { THOROUGH_PROFILE } from '../../src/vision/profiles/index.js';

const padding = THOROUGH_PROFILE.platePadding;
const frame = THOROUGH_PROFILE.plateFrame!;

/** A grey image with filled rectangles painted in order. */
function paint(width: number, height: number, base: number, rects: readonly (Box & { luma: number })[]): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(base);
  for (const r of rects) {
    for (let y = r.y; y < r.y + r.h; y++) data.fill(r.luma, (y * width + r.x) * 3, (y * width + r.x + r.w) * 3);
  }
  return { width, height, data };
}

/** Dark character blocks filling the text box (200 x 20 at 100, 90), as a text detector's box hugs them. */
const text: Detection = { cls: 'plate', score: 0.95, x: 100, y: 90, w: 200, h: 20 };
const characters = Array.from({ length: 7 }, (_, i) => ({ x: 104 + i * 28, y: 92, w: 16, h: 16, luma: 30 }));

describe('plate boxes fitted to the plate the image shows', () => {
  it('pulls the sides in to a tight plate frame and still covers the whole plate', () => {
    const plate = { x: 96, y: 87, w: 208, h: 26 };
    const image = paint(400, 200, 90, [{ ...plate, luma: 225 }, ...characters]);
    const padded = padBox(text, padding);
    const fitted = fitPlateFrame(image, text, padding, frame);
    expect(containment(plate, fitted)).toBe(1);
    expect(fitted.w).toBeLessThan(padded.w - 20);
    expect(fitted.x).toBeGreaterThan(padded.x);
    expect(fitted.x + fitted.w).toBeLessThan(padded.x + padded.w);
    expect(containment(fitted, padded)).toBe(1);
  });

  it('keeps the padding where the plate background runs on beyond it, past thin lettering (a US state name)', () => {
    const plate = { x: 96, y: 40, w: 208, h: 73 };
    const stateName = { x: 150, y: 80, w: 100, h: 4, luma: 60 };
    const image = paint(400, 200, 90, [{ ...plate, luma: 225 }, stateName, ...characters]);
    const padded = padBox(text, padding);
    const fitted = fitPlateFrame(image, text, padding, frame);
    expect(fitted.y).toBeCloseTo(padded.y, 6);
    expect(fitted.y + fitted.h).toBeGreaterThanOrEqual(plate.y + plate.h);
  });

  it('keeps the plain padding when the text box shows no plate contrast to measure', () => {
    // A flat patch on a darker car: its sides are clear edges, but without characters there is no plate to fit.
    const image = paint(400, 200, 60, [{ x: 96, y: 87, w: 208, h: 26, luma: 135 }]);
    expect(fitPlateFrame(image, text, padding, frame)).toEqual(padBox(text, padding));
  });

  it('fits a plate cut by the image border without reading outside the image', () => {
    const atTop: Detection = { ...text, y: 0 };
    const image = paint(400, 60, 90, [{ x: 96, y: 0, w: 208, h: 23, luma: 225 }, ...characters.map((c) => ({ ...c, y: 2 }))]);
    const fitted = fitPlateFrame(image, atTop, padding, frame);
    expect(containment({ x: 96, y: 0, w: 208, h: 23 }, fitted)).toBe(1);
    expect(fitted.y + fitted.h).toBeLessThan(padBox(atTop, padding).y + padBox(atTop, padding).h);
  });
});
