import type { YuvFrame } from './region-ops.js';

import type { MaskPolygon } from '../shared/types.js';

export type { MaskPolygon };

const BLACK_Y = 16;
const NEUTRAL_CHROMA = 128;

/** Horizontal runs to fill, per plane: flat [offset, length, offset, length, …] into the frame buffer. */
interface PlaneRuns {
  runs: Int32Array;
  value: number;
}

/** Even-odd scanline fill at pixel centres: the x ranges of row `y` (pixel units) inside any polygon. */
function rowSpans(polygons: readonly MaskPolygon[], width: number, height: number, y: number): [number, number][] {
  const spans: [number, number][] = [];
  const cy = y + 0.5;
  for (const polygon of polygons) {
    const crossings: number[] = [];
    for (let i = 0; i < polygon.length; i += 1) {
      const a = polygon[i] as readonly [number, number];
      const b = polygon[(i + 1) % polygon.length] as readonly [number, number];
      const ay = a[1] * height;
      const by = b[1] * height;
      if ((ay <= cy && by > cy) || (by <= cy && ay > cy)) {
        crossings.push(a[0] * width + ((cy - ay) / (by - ay)) * (b[0] - a[0]) * width);
      }
    }
    crossings.sort((p, q) => p - q);
    for (let i = 0; i + 1 < crossings.length; i += 2) {
      const start = Math.max(0, Math.floor((crossings[i] as number) - 0.5 + 1e-9) + 1);
      const end = Math.min(width, Math.floor((crossings[i + 1] as number) - 0.5 + 1e-9) + 1);
      if (end > start) spans.push([start, end]);
    }
  }
  return spans;
}

function planeRuns(polygons: readonly MaskPolygon[], width: number, height: number, offset: number, value: number): PlaneRuns {
  const runs: number[] = [];
  for (let y = 0; y < height; y += 1) {
    for (const [start, end] of rowSpans(polygons, width, height, y)) runs.push(offset + y * width + start, end - start);
  }
  return { runs: Int32Array.from(runs), value };
}

/**
 * Static privacy masks (requirement A6), rasterised once per frame size into runs of bytes; applying them
 * to a frame is a handful of `fill` calls, no allocation. Chroma is masked at its own (half) resolution with
 * the same polygons, so a masked area carries neither brightness nor colour.
 */
export class PrivacyMask {
  private readonly planes: PlaneRuns[];

  constructor(readonly polygons: readonly MaskPolygon[], readonly width: number, readonly height: number) {
    const cw = Math.ceil(width / 2);
    const ch = Math.ceil(height / 2);
    const luma = width * height;
    this.planes = polygons.length === 0 ? [] : [
      planeRuns(polygons, width, height, 0, BLACK_Y),
      planeRuns(polygons, cw, ch, luma, NEUTRAL_CHROMA),
      planeRuns(polygons, cw, ch, luma + cw * ch, NEUTRAL_CHROMA),
    ];
  }

  get empty(): boolean {
    return this.planes.length === 0;
  }

  /** The mask as an RGBA image (opaque black inside, transparent outside) for ffmpeg's overlay filter. */
  rgba(): Buffer {
    const out = Buffer.alloc(this.width * this.height * 4);
    const luma = this.planes[0];
    if (!luma) return out;
    for (let i = 0; i + 1 < luma.runs.length; i += 2) {
      const start = luma.runs[i] as number;
      const end = start + (luma.runs[i + 1] as number);
      for (let p = start; p < end; p += 1) out[p * 4 + 3] = 255;
    }
    return out;
  }

  /** Luma pixels covered, for reports and tests. */
  get coveredPixels(): number {
    const luma = this.planes[0];
    if (!luma) return 0;
    let total = 0;
    for (let i = 1; i < luma.runs.length; i += 2) total += luma.runs[i] as number;
    return total;
  }

  apply(frame: YuvFrame): void {
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new RangeError(`privacy mask is for ${this.width}x${this.height}, frame is ${frame.width}x${frame.height}`);
    }
    for (const plane of this.planes) {
      const { runs, value } = plane;
      for (let i = 0; i < runs.length; i += 2) {
        const start = runs[i] as number;
        frame.data.fill(value, start, start + (runs[i + 1] as number));
      }
    }
  }
}
