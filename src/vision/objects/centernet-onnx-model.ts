import type { Detection, ObjectClass, RgbImage } from '../detector.js';
import type { VerifiedModel } from '../models/model-manifest.js';
import { PlanarInput, RAW_PIXELS, wholeImage, type PixelRect } from '../rgb-image.js';
import { loadOnnxSession, ort, type OnnxSettings } from '../runtime/onnx-runtime.js';

const INPUT_SIDE = 512;
const STRIDE = 4;
const GRID = INPUT_SIDE / STRIDE;
const MAX_DETECTIONS = 100;
/** COCO class indices (0-based) the gateway uses: people for head fallback, vehicles for plate search. */
const COCO_TO_CLASS: readonly (readonly [number, ObjectClass])[] = [
  [0, 'person'],
  [2, 'vehicle'], // car
  [3, 'vehicle'], // motorcycle
  [5, 'vehicle'], // bus
  [7, 'vehicle'], // truck
];

/** Whether `heat[i]` is the maximum of its 3 × 3 neighbourhood (the graph's max-pool peak test). */
function isPeak(heat: Float32Array, base: number, y: number, x: number): boolean {
  const value = heat[base + y * GRID + x] as number;
  for (let dy = -1; dy <= 1; dy++) {
    const ny = y + dy;
    if (ny < 0 || ny >= GRID) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx;
      if (nx >= 0 && nx < GRID && (heat[base + ny * GRID + nx] as number) > value) return false;
    }
  }
  return true;
}

/**
 * CenterNet (MobileNet v3, COCO) converted to ONNX (models/tools/centernet_to_onnx.py): the network runs in ONNX
 * Runtime at 512 × 512; peaks and boxes are read here for people and vehicles only.
 */
export class CenterNetOnnxModel {
  private readonly planar = new PlanarInput();

  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(model: VerifiedModel, settings: OnnxSettings): Promise<CenterNetOnnxModel> {
    return new CenterNetOnnxModel(await loadOnnxSession(model, settings));
  }

  /** People and vehicles in `region` of `image` (whole image by default), in `image` pixels, best first. */
  async run(image: RgbImage, minScore: number, region: PixelRect = wholeImage(image)): Promise<Detection[]> {
    const data = this.planar.fill(image, region, { width: INPUT_SIDE, height: INPUT_SIDE, padW: INPUT_SIDE, padH: INPUT_SIDE }, RAW_PIXELS);
    const output = await this.session.run({ image: new ort.Tensor('float32', data, [1, 3, INPUT_SIDE, INPUT_SIDE]) });
    const heat = output.heatmap?.data as Float32Array;
    const sizes = output.sizes?.data as Float32Array;
    const sx = region.width / INPUT_SIDE;
    const sy = region.height / INPUT_SIDE;
    const plane = GRID * GRID;
    const found: Detection[] = [];
    for (const [coco, cls] of COCO_TO_CLASS) {
      const base = coco * plane;
      for (let y = 0; y < GRID; y++) {
        for (let x = 0; x < GRID; x++) {
          const score = heat[base + y * GRID + x] as number;
          if (score < minScore || !isPeak(heat, base, y, x)) continue;
          const at = y * GRID + x;
          const x0 = x * STRIDE - (sizes[at] as number);
          const y0 = y * STRIDE - (sizes[plane + at] as number);
          const x1 = x * STRIDE + (sizes[2 * plane + at] as number);
          const y1 = y * STRIDE + (sizes[3 * plane + at] as number);
          found.push({ cls, score, x: region.left + x0 * sx, y: region.top + y0 * sy, w: (x1 - x0) * sx, h: (y1 - y0) * sy });
        }
      }
    }
    return found.sort((a, b) => b.score - a.score).slice(0, MAX_DETECTIONS);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
