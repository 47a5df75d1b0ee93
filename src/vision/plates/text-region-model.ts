import type { Box, Detection, RgbImage } from '../detector.js';
import type { VerifiedModel } from '../models/model-manifest.js';
import { normalisation, PlanarInput, type PixelRect } from '../rgb-image.js';
import { loadOnnxSession, ort, type OnnxSettings } from '../runtime/onnx-runtime.js';

/** ImageNet mean and standard deviation, as PaddleOCR normalises its inputs. */
const IMAGENET = normalisation([0.485 * 255, 0.456 * 255, 0.406 * 255], [0.229 * 255, 0.224 * 255, 0.225 * 255]);
/** DB post-processing constants from PaddleOCR's PP-OCRv4 detector defaults. */
const PIXEL_THRESHOLD = 0.3;
const MIN_REGION_PIXELS = 4;
/** DB trains on text shrunk by this ratio; boxes are grown back by area × ratio / perimeter ("unclip"). */
const UNCLIP_RATIO = 1.5;

/** A text region from the probability map: its tight box and the mean probability inside it. */
export interface TextRegion extends Box {
  readonly score: number;
}

/**
 * PP-OCRv4 text detection (ONNX, dynamic input): a per-pixel text probability map turned into text-line boxes
 * by thresholding and 8-connected components. Boxes are tight around the characters.
 */
export class TextRegionModel {
  private readonly planar = new PlanarInput();
  /** Component labels, reused (grow-only) from call to call. */
  private labels = new Int32Array(0);

  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(model: VerifiedModel, settings: OnnxSettings): Promise<TextRegionModel> {
    return new TextRegionModel(await loadOnnxSession(model, settings));
  }

  /**
   * Text regions of `region` of `image`, in `image` pixels. The region is magnified by `scale` and rounded to
   * multiples of 32 (the network's stride) on the way in.
   */
  async run(image: RgbImage, region: PixelRect, scale: number, minScore: number): Promise<TextRegion[]> {
    const netH = Math.max(32, Math.round((region.height * scale) / 32) * 32);
    const netW = Math.max(32, Math.round((region.width * scale) / 32) * 32);
    const data = this.planar.fill(image, region, { width: netW, height: netH, padW: netW, padH: netH }, IMAGENET);
    const feeds = { [this.session.inputNames[0] ?? 'x']: new ort.Tensor('float32', data, [1, 3, netH, netW]) };
    const output = await this.session.run(feeds);
    const map = output[this.session.outputNames[0] ?? '']?.data as Float32Array;
    const sx = region.width / netW;
    const sy = region.height / netH;
    if (this.labels.length < netW * netH) this.labels = new Int32Array(netW * netH);
    return componentsOf(map, netW, netH, minScore, this.labels).map((r) => ({ x: region.left + r.x * sx, y: region.top + r.y * sy, w: r.w * sx, h: r.h * sy, score: r.score }));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function unclip(region: TextRegion): TextRegion {
  const grow = (region.w * region.h * UNCLIP_RATIO) / (2 * (region.w + region.h));
  return { ...region, x: region.x - grow, y: region.y - grow, w: region.w + 2 * grow, h: region.h + 2 * grow };
}

/**
 * 8-connected components of map > threshold, as bounding boxes with their mean probability. `labels` is scratch
 * space of at least width × height entries (cleared here).
 */
export function componentsOf(map: Float32Array, width: number, height: number, minScore: number, labels = new Int32Array(width * height)): TextRegion[] {
  labels.fill(0, 0, width * height);
  const stack: number[] = [];
  const regions: TextRegion[] = [];
  let next = 0;
  for (let start = 0; start < map.length; start++) {
    if (labels[start] !== 0 || (map[start] ?? 0) <= PIXEL_THRESHOLD) continue;
    next += 1;
    labels[start] = next;
    stack.push(start);
    let x0 = width, y0 = height, x1 = 0, y1 = 0, sum = 0, count = 0;
    while (stack.length > 0) {
      const p = stack.pop() as number;
      const px = p % width;
      const py = (p - px) / width;
      x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py);
      sum += map[p] ?? 0;
      count += 1;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = py + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (labels[q] === 0 && (map[q] ?? 0) > PIXEL_THRESHOLD) {
            labels[q] = next;
            stack.push(q);
          }
        }
      }
    }
    const score = sum / count;
    if (count >= MIN_REGION_PIXELS && score >= minScore) regions.push(unclip({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1, score }));
  }
  return regions;
}

/** Fragments of one text line: heights within this ratio, overlapping vertically by this share of the smaller. */
const LINE_HEIGHT_RATIO = 1.5;
const LINE_OVERLAP = 0.6;
/** Largest horizontal gap between fragments of one line, in line heights (a plate's spaces and dashes). */
const LINE_GAP = 1;

function sameLine(a: TextRegion, b: TextRegion): boolean {
  const low = Math.min(a.h, b.h);
  const high = Math.max(a.h, b.h);
  if (high > low * LINE_HEIGHT_RATIO) return false;
  const overlap = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  const gap = Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w);
  return overlap >= LINE_OVERLAP * low && gap <= LINE_GAP * high;
}

/**
 * Text lines the detector returned in pieces: a plate like "B 10 SIT" can come back as three regions, and
 * pieces narrower than a plate fail the plate shape on their own. Returns one region per group of two or more
 * fragments (bounding box, area-weighted score); the fragments themselves stay candidates too.
 */
export function joinedLines(regions: readonly TextRegion[]): TextRegion[] {
  const parent = regions.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      if (sameLine(regions[i] as TextRegion, regions[j] as TextRegion)) parent[root(j)] = root(i);
    }
  }
  const groups = new Map<number, TextRegion[]>();
  regions.forEach((region, i) => {
    const group = groups.get(root(i));
    if (group) group.push(region);
    else groups.set(root(i), [region]);
  });
  return [...groups.values()].filter((group) => group.length > 1).map((group) => {
    const x0 = Math.min(...group.map((r) => r.x));
    const y0 = Math.min(...group.map((r) => r.y));
    const x1 = Math.max(...group.map((r) => r.x + r.w));
    const y1 = Math.max(...group.map((r) => r.y + r.h));
    const area = group.reduce((sum, r) => sum + r.w * r.h, 0);
    const score = group.reduce((sum, r) => sum + r.score * r.w * r.h, 0) / area;
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0, score };
  });
}

/** Plate-shaped text regions become plate detections (tight; the caller pads them to the plate frame). */
export function plateShaped(regions: readonly TextRegion[], minAspect: number, maxAspect: number, minHeight: number): Detection[] {
  return regions
    .filter((r) => r.h >= minHeight && r.w / r.h >= minAspect && r.w / r.h <= maxAspect)
    .map((r) => ({ cls: 'plate' as const, score: r.score, x: r.x, y: r.y, w: r.w, h: r.h }));
}
