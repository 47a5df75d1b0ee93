import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { FrameSink } from '../../src/pipeline/frame-loop.js';
import { PreviewTap, previewSize, yuv420pToRgb } from '../../src/pipeline/preview-tap.js';

/** A 1920×1080 yuv420p frame: left half black, right half mid grey, neutral chroma. */
function halfBlackFrame(): Uint8Array {
  const width = 1920;
  const height = 1080;
  const frame = new Uint8Array(width * height * 1.5).fill(128);
  for (let y = 0; y < height; y++) frame.fill(16, y * width, y * width + width / 2);
  return frame;
}

describe('redacted preview', () => {
  it('downscales to at most 640 wide with even sides and converts BT.601 colours', () => {
    expect(previewSize({ width: 1920, height: 1080 })).toEqual({ width: 640, height: 360 });
    expect(previewSize({ width: 321, height: 241 })).toEqual({ width: 320, height: 240 });
    const out = Buffer.alloc(640 * 360 * 3);
    yuv420pToRgb(halfBlackFrame(), { width: 1920, height: 1080 }, out, { width: 640, height: 360 });
    expect([...out.subarray(0, 3)]).toEqual([0, 0, 0]);
    const right = (100 * 640 + 500) * 3;
    expect([...out.subarray(right, right + 3)]).toEqual([130, 130, 130]);
  });

  it('passes every frame on and publishes a JPEG of every n-th one without holding the loop', async () => {
    const written: number[] = [];
    const inner: FrameSink = { write: (frame, done) => { written.push(frame.length); done(); return true; }, onDrain: () => undefined, onFailure: () => undefined };
    const jpegs: Buffer[] = [];
    const tap = new PreviewTap(inner, { width: 1920, height: 1080 }, 25, 5, (jpeg) => jpegs.push(jpeg));
    const frame = halfBlackFrame();
    for (let i = 0; i < 10; i++) {
      expect(tap.write(frame, () => undefined)).toBe(true);
      await tap.close();
    }
    expect(written).toHaveLength(10);
    expect(jpegs).toHaveLength(2);
    const { data, info } = await sharp(jpegs[0]).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 640, height: 360 });
    expect(data[180 * 640 + 100]).toBeLessThan(10);
    expect(data[180 * 640 + 540]).toBeGreaterThan(120);
  });
});
