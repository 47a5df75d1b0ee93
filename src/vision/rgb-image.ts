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

/** Source index and weight of each output coordinate along one axis (bilinear, TF's default mapping). */
interface AxisTable {
  readonly start: number;
  readonly length: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly frac: Float32Array;
}

function axisTable(start: number, length: number, out: number): AxisTable {
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
  return { start, length, lo, hi, frac };
}

function fits(table: AxisTable | undefined, start: number, length: number, out: number): table is AxisTable {
  return table !== undefined && table.start === start && table.length === length && table.lo.length === out;
}

type Normalise = readonly [number, number, number];

/** A network's per-channel input normalisation `(value − mean) / std`, prepared once per model. */
export interface Normalisation {
  readonly mean: Normalise;
  /** 1 / std. */
  readonly scale: Normalise;
  /** The normalised value of 0, written into the padding. */
  readonly zero: Normalise;
}

export function normalisation(mean: readonly [number, number, number], std: readonly [number, number, number]): Normalisation {
  const scale: Normalise = [1 / std[0], 1 / std[1], 1 / std[2]];
  return { mean, scale, zero: [-mean[0] * scale[0], -mean[1] * scale[1], -mean[2] * scale[2]] };
}

/** Raw 0–255 pixel values. */
export const RAW_PIXELS = normalisation([0, 0, 0], [1, 1, 1]);

/** `region` copied as normalised planes (no resampling). */
function copyPlanes(image: RgbImage, region: PixelRect, padW: number, planes: Float32Array, plane: number, mean: Normalise, scale: Normalise): void {
  const { data } = image;
  const [m0, m1, m2] = mean;
  const [k0, k1, k2] = scale;
  for (let y = 0; y < region.height; y++) {
    let src = ((region.top + y) * image.width + region.left) * 3;
    let at = y * padW;
    for (let x = 0; x < region.width; x++, src += 3, at++) {
      planes[at] = ((data[src] as number) - m0) * k0;
      planes[at + plane] = ((data[src + 1] as number) - m1) * k1;
      planes[at + 2 * plane] = ((data[src + 2] as number) - m2) * k2;
    }
  }
}

/** The image resampled bilinearly through the axis tables, as normalised planes. */
function resamplePlanes(image: RgbImage, xs: AxisTable, ys: AxisTable, padW: number, planes: Float32Array, plane: number, mean: Normalise, scale: Normalise): void {
  const { data } = image;
  const [m0, m1, m2] = mean;
  const [k0, k1, k2] = scale;
  const stride = image.width * 3;
  for (let y = 0; y < ys.lo.length; y++) {
    const top = (ys.lo[y] as number) * stride;
    const bottom = (ys.hi[y] as number) * stride;
    const fy = ys.frac[y] as number;
    const row = y * padW;
    for (let x = 0; x < xs.lo.length; x++) {
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

/** Fills what lies outside the `width × height` image in each `padW × padH` plane with that plane's value. */
function fillPadding(planes: Float32Array, out: { width: number; height: number; padW: number; padH: number }, values: Normalise): void {
  const plane = out.padW * out.padH;
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    const value = values[c] as number;
    if (out.width < out.padW) {
      for (let y = 0; y < out.height; y++) planes.fill(value, base + y * out.padW + out.width, base + (y + 1) * out.padW);
    }
    planes.fill(value, base + out.height * out.padW, base + plane);
  }
}

/**
 * Network inputs made straight from the analysis frame: a crop resized bilinearly and written as normalised
 * CHW planes in one pass (no intermediate image, no TF.js). One grow-only buffer and the last axis tables are
 * reused, so a detector running frame after frame allocates nothing per call at a steady input size, and crops
 * of every size (thorough vehicle passes) never pile up buffers. The returned planes are valid until the next
 * `fill`.
 */
export class PlanarInput {
  private buffer = new Float32Array(0);
  private xs: AxisTable | undefined;
  private ys: AxisTable | undefined;

  /**
   * `region` of `image` resized to `out.width × out.height`, as planes normalised by `norm` on a `padW × padH`
   * canvas (`width ≤ padW`, `height ≤ padH`) whose remainder (bottom, right) holds the normalised value of 0.
   */
  fill(image: RgbImage, region: PixelRect, out: { width: number; height: number; padW: number; padH: number }, norm: Normalisation): Float32Array {
    const plane = out.padW * out.padH;
    if (this.buffer.length < 3 * plane) this.buffer = new Float32Array(3 * plane);
    const planes = this.buffer.subarray(0, 3 * plane);
    fillPadding(planes, out, norm.zero);
    if (out.width === region.width && out.height === region.height) {
      copyPlanes(image, region, out.padW, planes, plane, norm.mean, norm.scale);
      return planes;
    }
    if (!fits(this.xs, region.left, region.width, out.width)) this.xs = axisTable(region.left, region.width, out.width);
    if (!fits(this.ys, region.top, region.height, out.height)) this.ys = axisTable(region.top, region.height, out.height);
    resamplePlanes(image, this.xs, this.ys, out.padW, planes, plane, norm.mean, norm.scale);
    return planes;
  }
}
