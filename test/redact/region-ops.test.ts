import { describe, expect, it } from 'vitest';
import { alignRegion, MIN_BLOCK_PX, pixelBlockSize, redactRegion, redactWholeFrame, type YuvFrame } from '../../src/redact/region-ops.js';

/** A frame whose every luma and chroma sample differs from its neighbours (worst case for leaks). */
function noiseFrame(width: number, height: number): YuvFrame {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const data = new Uint8Array(width * height + 2 * cw * ch);
  let seed = 12345;
  for (let i = 0; i < data.length; i += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = 20 + (seed % 216);
  }
  return { data, width, height };
}

function luma(frame: YuvFrame, x: number, y: number): number {
  return frame.data[y * frame.width + x] as number;
}

/** Distinct luma values inside a rectangle, and how many samples still equal the original. */
function inspect(before: YuvFrame, after: YuvFrame, x0: number, y0: number, x1: number, y1: number) {
  let unchanged = 0;
  for (let y = y0; y < y1; y += 1) for (let x = x0; x < x1; x += 1) if (luma(before, x, y) === luma(after, x, y)) unchanged += 1;
  return { unchanged, area: (x1 - x0) * (y1 - y0) };
}

describe('pixelBlockSize (requirement A4)', () => {
  it.each([
    [30, 30, MIN_BLOCK_PX],
    [120, 120, 20],
    [121, 400, 22],
    [600, 90, 16],
  ])('region %ix%i → block %i (≥ 1/6 of the shorter side, ≥ %i px)', (w, h, block) => {
    expect(pixelBlockSize(w, h)).toBe(block);
    expect(pixelBlockSize(w, h)).toBeGreaterThanOrEqual(Math.min(w, h) / 6);
  });
});

describe('alignRegion', () => {
  it.each([
    [{ x: 3, y: 5, w: 10, h: 10 }, 100, 100, { x: 2, y: 4, w: 12, h: 12 }],
    [{ x: -20, y: -20, w: 30, h: 30 }, 100, 100, { x: 0, y: 0, w: 10, h: 10 }],
    [{ x: 95, y: 95, w: 30, h: 30 }, 99, 97, { x: 94, y: 94, w: 5, h: 3 }],
    [{ x: 200, y: 10, w: 30, h: 30 }, 100, 100, null],
  ])('%o in %ix%i → %o', (region, width, height, expected) => {
    expect(alignRegion(region, width, height)).toEqual(expected);
  });
});

describe('redactRegion', () => {
  it('pixelates with constant blocks of at least 1/6 of the shorter side and keeps no original luma (A4)', () => {
    const before = noiseFrame(320, 240);
    const after = { ...before, data: before.data.slice() };
    const region = { x: 100, y: 60, w: 120, h: 96 };
    redactRegion(after, region, 'pixelate');
    const block = pixelBlockSize(120, 96);
    expect(block).toBeGreaterThanOrEqual(96 / 6);
    // Every block is flat and at least `block` wide and high: each run of equal samples along a row or column is that long.
    const runs = (values: number[]): number[] => {
      const lengths: number[] = [];
      let length = 1;
      for (let i = 1; i <= values.length; i += 1) {
        if (i < values.length && values[i] === values[i - 1]) length += 1;
        else {
          lengths.push(length);
          length = 1;
        }
      }
      return lengths;
    };
    for (let y = 60; y < 156; y += 1) {
      const row = Array.from({ length: 120 }, (_, i) => luma(after, 100 + i, y));
      expect(Math.min(...runs(row))).toBeGreaterThanOrEqual(block);
    }
    for (let x = 100; x < 220; x += 1) {
      const column = Array.from({ length: 96 }, (_, i) => luma(after, x, 60 + i));
      expect(Math.min(...runs(column))).toBeGreaterThanOrEqual(block);
    }
    const { unchanged, area } = inspect(before, after, 100, 60, 220, 156);
    expect(unchanged / area).toBeLessThan(0.02);
    // Outside the (even-aligned) region nothing changes.
    expect(inspect(before, after, 0, 0, 320, 60).unchanged).toBe(320 * 60);
  });

  it('fills solid: every sample of the region is replaced', () => {
    const before = noiseFrame(64, 64);
    const after = { ...before, data: before.data.slice() };
    redactRegion(after, { x: 10, y: 10, w: 20, h: 20 }, 'fill');
    for (let y = 10; y < 30; y += 1) for (let x = 10; x < 30; x += 1) expect(luma(after, x, y)).toBe(16);
  });

  it('blurs: the region becomes smooth (neighbouring samples close), the rest untouched', () => {
    const before = noiseFrame(128, 128);
    const after = { ...before, data: before.data.slice() };
    redactRegion(after, { x: 32, y: 32, w: 64, h: 64 }, 'blur');
    let maxStep = 0;
    for (let y = 40; y < 88; y += 1) for (let x = 40; x < 87; x += 1) maxStep = Math.max(maxStep, Math.abs(luma(after, x + 1, y) - luma(after, x, y)));
    expect(maxStep).toBeLessThan(12);
    expect(inspect(before, after, 0, 0, 128, 32).unchanged).toBe(128 * 32);
  });

  it.each(['pixelate', 'blur', 'fill'] as const)('%s handles odd frame sizes and regions over every edge without writing outside the buffer', (style) => {
    const frame = noiseFrame(33, 17);
    const guard = new Uint8Array(frame.data.length + 64);
    guard.set(frame.data);
    guard.fill(7, frame.data.length);
    const view = { data: guard.subarray(0, frame.data.length), width: 33, height: 17 };
    for (const region of [
      { x: -5, y: -5, w: 12, h: 12 },
      { x: 28, y: 12, w: 20, h: 20 },
      { x: 31, y: 0, w: 2, h: 17 },
      { x: 0, y: 16, w: 33, h: 1 },
      { x: -100, y: -100, w: 500, h: 500 },
    ]) {
      redactRegion(view, region, style);
    }
    expect([...guard.subarray(frame.data.length)].every((v) => v === 7)).toBe(true);
    // The bottom-right corner (odd edge) was redacted too: for fill it is black, otherwise it changed.
    if (style === 'fill') expect(luma(view, 32, 16)).toBe(16);
  });

  it('redactWholeFrame leaves nothing of the original (fail closed)', () => {
    const frame = noiseFrame(35, 21);
    redactWholeFrame(frame);
    const ySize = 35 * 21;
    expect(frame.data.subarray(0, ySize).every((v) => v === 16)).toBe(true);
    expect(frame.data.subarray(ySize).every((v) => v === 128)).toBe(true);
  });
});
