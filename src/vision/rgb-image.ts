import type { Box, RgbImage } from './detector.js';

/** A rectangle of whole pixels inside an image. */
export interface PixelRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** `crop` clamped to `image`, in whole pixels (at least 1 × 1). */
export function clampCrop(image: RgbImage, crop: Box): PixelRect {
  const left = Math.max(0, Math.min(image.width - 1, Math.round(crop.x)));
  const top = Math.max(0, Math.min(image.height - 1, Math.round(crop.y)));
  const width = Math.max(1, Math.min(image.width - left, Math.round(crop.w)));
  const height = Math.max(1, Math.min(image.height - top, Math.round(crop.h)));
  return { left, top, width, height };
}

export function wholeImage(image: RgbImage): PixelRect {
  return { left: 0, top: 0, width: image.width, height: image.height };
}

/** Source index and weight of each output coordinate (bilinear, TF's default corner-aligned-at-origin mapping). */
function axisTable(start: number, length: number, out: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const frac = new Float32Array(out);
  const step = length / out;
  for (let i = 0; i < out; i++) {
    const s = i * step;
    const base = Math.min(Math.floor(s), length - 1);
    lo[i] = start + base;
    hi[i] = start + Math.min(base + 1, length - 1);
    frac[i] = s - base;
  }
  return { lo, hi, frac };
}

type Normalise = readonly [number, number, number];

/** `region` copied as normalised planes (no resampling). */
function copyPlanes(image: RgbImage, region: PixelRect, out: { width: number; padW: number }, planes: Float32Array, plane: number, mean: Normalise, scale: Normalise): void {
  const { data } = image;
  const [m0, m1, m2] = mean;
  const [k0, k1, k2] = scale;
  for (let y = 0; y < region.height; y++) {
    let src = ((region.top + y) * image.width + region.left) * 3;
    let at = y * out.padW;
    for (let x = 0; x < region.width; x++, src += 3, at++) {
      planes[at] = ((data[src] as number) - m0) * k0;
      planes[at + plane] = ((data[src + 1] as number) - m1) * k1;
      planes[at + 2 * plane] = ((data[src + 2] as number) - m2) * k2;
    }
  }
}

/** `region` resampled bilinearly to `out.width × out.height`, as normalised planes. */
function resamplePlanes(image: RgbImage, region: PixelRect, out: { width: number; height: number; padW: number }, planes: Float32Array, plane: number, mean: Normalise, scale: Normalise): void {
  const xs = axisTable(region.left, region.width, out.width);
  const ys = axisTable(region.top, region.height, out.height);
  const { data } = image;
  const [m0, m1, m2] = mean;
  const [k0, k1, k2] = scale;
  const stride = image.width * 3;
  for (let y = 0; y < out.height; y++) {
    const top = (ys.lo[y] as number) * stride;
    const bottom = (ys.hi[y] as number) * stride;
    const fy = ys.frac[y] as number;
    const row = y * out.padW;
    for (let x = 0; x < out.width; x++) {
      const l = (xs.lo[x] as number) * 3;
      const r = (xs.hi[x] as number) * 3;
      const fx = xs.frac[x] as number;
      const at = row + x;
      for (let c = 0, off = 0; c < 3; c++, off += plane) {
        const a = data[top + l + c] as number;
        const b = data[top + r + c] as number;
        const d = data[bottom + l + c] as number;
        const e = data[bottom + r + c] as number;
        const upper = a + (b - a) * fx;
        planes[at + off] = (upper + (d + (e - d) * fx - upper) * fy - (c === 0 ? m0 : c === 1 ? m1 : m2)) * (c === 0 ? k0 : c === 1 ? k1 : k2);
      }
    }
  }
}

/**
 * Network inputs made straight from the analysis frame: a crop resized bilinearly and written as normalised
 * CHW planes in one pass (no intermediate image, no TF.js). Buffers are reused per shape, so a detector running
 * frame after frame does not allocate megabytes per call; a buffer is valid until the next `fill` of its shape.
 */
export class PlanarInput {
  private readonly buffers = new Map<string, Float32Array>();

  /**
   * `region` of `image` resized to `outW × outH`, as planes `(value − mean[c]) / std[c]` of a `padH × padW`
   * canvas (`outW ≤ padW`, `outH ≤ padH`) whose remainder (bottom, right) holds the normalised value of 0.
   */
  fill(image: RgbImage, region: PixelRect, out: { width: number; height: number; padW: number; padH: number }, mean: readonly number[], std: readonly number[]): Float32Array {
    const { padW, padH } = out;
    const key = `${padH}x${padW}`;
    let planes = this.buffers.get(key);
    if (!planes) {
      planes = new Float32Array(3 * padH * padW);
      this.buffers.set(key, planes);
    }
    const plane = padH * padW;
    const m0 = mean[0] ?? 0, m1 = mean[1] ?? 0, m2 = mean[2] ?? 0;
    const k0 = 1 / (std[0] ?? 1), k1 = 1 / (std[1] ?? 1), k2 = 1 / (std[2] ?? 1);
    planes.fill(-m0 * k0, 0, plane);
    planes.fill(-m1 * k1, plane, 2 * plane);
    planes.fill(-m2 * k2, 2 * plane, 3 * plane);
    const identity = out.width === region.width && out.height === region.height;
    (identity ? copyPlanes : resamplePlanes)(image, region, out, planes, plane, [m0, m1, m2], [k0, k1, k2]);
    return planes;
  }
}
