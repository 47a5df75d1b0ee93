import { nonMaxSuppression } from '../box-ops.js';
import type { Detection, RgbImage } from '../detector.js';
import type { VerifiedModel } from '../models/model-manifest.js';
import { PlanarInput, RAW_PIXELS, wholeImage } from '../rgb-image.js';
import { loadOnnxSession, ort, type OnnxSettings } from '../runtime/onnx-runtime.js';

/** The network's input is padded (bottom, right) to a multiple of its coarsest stride, as the original graph does. */
const PAD_MULTIPLE = 128;
/** Box coder scales of the original graph (centre 10, size 5). */
const CENTER_SCALE = 0.1;
const SIZE_SCALE = 0.2;
/** Post-processing constants of the original graph. */
const NMS_IOU = 0.3;
const MAX_FACES = 200;
const MIN_CANDIDATE_SCORE = 0.05;
/** Input sizes whose anchors are kept: a long upload job of many sizes must not accumulate them. */
const ANCHOR_SIZES_KEPT = 4;

/**
 * Anchors of one feature-map level: per cell, groups of square anchors of one size, each densified into a grid of
 * centre offsets (pixels from the cell's corner). Offsets reproduce the original graph's anchor generator exactly
 * (its 64-px group is offset by 0 and 32, not centred), which a test checks against the TF.js graph.
 */
interface AnchorLevel {
  readonly stride: number;
  readonly groups: readonly { readonly size: number; readonly offsets: readonly number[] }[];
}

const ANCHOR_LEVELS: readonly AnchorLevel[] = [
  {
    stride: 32,
    groups: [
      { size: 32, offsets: [4, 12, 20, 28] },
      { size: 64, offsets: [0, 32] },
      { size: 128, offsets: [16] },
    ],
  },
  { stride: 64, groups: [{ size: 256, offsets: [32] }] },
  { stride: 128, groups: [{ size: 512, offsets: [64] }] },
];

/**
 * Anchors for a padded input, as [ymin, xmin, ymax, xmax] normalised to it and clipped to [0, 1] (the original
 * graph clips anchors before decoding), in the network's output order: level, cell row, cell column, group,
 * x offset, y offset.
 */
export function faceBoxesAnchors(paddedHeight: number, paddedWidth: number): Float32Array {
  const out: number[] = [];
  const clip = (v: number): number => Math.min(1, Math.max(0, v));
  for (const level of ANCHOR_LEVELS) {
    const rows = Math.ceil(paddedHeight / level.stride);
    const cols = Math.ceil(paddedWidth / level.stride);
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        for (const group of level.groups) {
          const h = group.size / paddedHeight;
          const w = group.size / paddedWidth;
          for (const ox of group.offsets) {
            for (const oy of group.offsets) {
              const cy = (row * level.stride + oy) / paddedHeight;
              const cx = (col * level.stride + ox) / paddedWidth;
              out.push(clip(cy - h / 2), clip(cx - w / 2), clip(cy + h / 2), clip(cx + w / 2));
            }
          }
        }
      }
    }
  }
  return Float32Array.from(out);
}

function roundUp(value: number, multiple: number): number {
  return Math.max(multiple, Math.ceil(value / multiple) * multiple);
}

/**
 * FaceBoxes converted to ONNX (models/tools/faceboxes_to_onnx.py): the network runs in ONNX Runtime, anchors,
 * decoding and non-maximum suppression run here. Same faces as the TF.js graph at a fraction of its cost.
 */
export class FaceBoxesOnnxModel {
  /** Anchors per padded input size, the most recent few (live: one size; thorough: two passes per image size). */
  private readonly anchors = new Map<string, Float32Array>();
  private readonly planar = new PlanarInput();

  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(model: VerifiedModel, settings: OnnxSettings): Promise<FaceBoxesOnnxModel> {
    return new FaceBoxesOnnxModel(await loadOnnxSession(model, settings));
  }

  /** Faces in `input` pixel coordinates; `input` is scaled to `longSide` on its longer side first. */
  async run(input: RgbImage, longSide: number, minScore: number): Promise<Detection[]> {
    const { width, height } = input;
    const scale = longSide / Math.max(width, height);
    const netH = Math.max(1, Math.round(height * scale));
    const netW = Math.max(1, Math.round(width * scale));
    const padH = roundUp(netH, PAD_MULTIPLE);
    const padW = roundUp(netW, PAD_MULTIPLE);
    const data = this.planar.fill(input, wholeImage(input), { width: netW, height: netH, padW, padH }, RAW_PIXELS);
    const output = await this.session.run({ image: new ort.Tensor('float32', data, [1, 3, padH, padW]) });
    const scores = output.scores?.data as Float32Array;
    const encodings = output.boxes?.data as Float32Array;
    const candidates = this.decode(scores, encodings, padH, padW, Math.max(minScore, MIN_CANDIDATE_SCORE));
    // Normalised to the padded input → input pixels: undo the padding, then scale to the input's size.
    const sy = (padH / netH) * height;
    const sx = (padW / netW) * width;
    return nonMaxSuppression(candidates, NMS_IOU, MAX_FACES).flatMap((box) => {
      const y0 = Math.min(height, box.y * sy);
      const x0 = Math.min(width, box.x * sx);
      const y1 = Math.min(height, (box.y + box.h) * sy);
      const x1 = Math.min(width, (box.x + box.w) * sx);
      return x1 > x0 && y1 > y0 ? [{ ...box, x: x0, y: y0, w: x1 - x0, h: y1 - y0 }] : [];
    });
  }

  /** Candidates above `minScore`, decoded against the anchors and clipped, normalised to the padded input. */
  private decode(scores: Float32Array, encodings: Float32Array, padH: number, padW: number, minScore: number): Detection[] {
    const anchors = this.anchorsFor(padH, padW);
    const found: Detection[] = [];
    const count = anchors.length / 4;
    for (let i = 0; i < count; i++) {
      const score = scores[i * 2 + 1] ?? 0;
      if (score < minScore) continue;
      const a = i * 4;
      const ay0 = anchors[a] ?? 0, ax0 = anchors[a + 1] ?? 0, ay1 = anchors[a + 2] ?? 0, ax1 = anchors[a + 3] ?? 0;
      const ah = ay1 - ay0;
      const aw = ax1 - ax0;
      const cy = (encodings[a] ?? 0) * CENTER_SCALE * ah + (ay0 + ay1) / 2;
      const cx = (encodings[a + 1] ?? 0) * CENTER_SCALE * aw + (ax0 + ax1) / 2;
      const h = Math.exp((encodings[a + 2] ?? 0) * SIZE_SCALE) * ah;
      const w = Math.exp((encodings[a + 3] ?? 0) * SIZE_SCALE) * aw;
      const y0 = Math.max(0, cy - h / 2), x0 = Math.max(0, cx - w / 2);
      const y1 = Math.min(1, cy + h / 2), x1 = Math.min(1, cx + w / 2);
      if (y1 > y0 && x1 > x0) found.push({ cls: 'face', score, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
    }
    return found;
  }

  private anchorsFor(padH: number, padW: number): Float32Array {
    const key = `${padH}x${padW}`;
    let anchors = this.anchors.get(key);
    if (!anchors) {
      anchors = faceBoxesAnchors(padH, padW);
      if (this.anchors.size >= ANCHOR_SIZES_KEPT) this.anchors.delete(this.anchors.keys().next().value as string);
      this.anchors.set(key, anchors);
    }
    return anchors;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
