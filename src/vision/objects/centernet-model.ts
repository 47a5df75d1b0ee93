import * as tf from '@tensorflow/tfjs';
import type { Detection, ObjectClass } from '../detector.js';
import type { VerifiedModel } from '../models/model-manifest.js';
import { loadGraphModel } from '../runtime/tfjs-runtime.js';

const INPUT_SIDE = 512;
/** COCO class indices (0-based) the gateway uses: people for head fallback, vehicles for plate search. */
const COCO_TO_CLASS = new Map<number, ObjectClass>([
  [0, 'person'],
  [2, 'vehicle'], // car
  [3, 'vehicle'], // motorcycle
  [5, 'vehicle'], // bus
  [7, 'vehicle'], // truck
]);

/** CenterNet (MobileNet v3, COCO) at 512 × 512; takes 0–255 RGB and returns its top 100 detections. */
export class CenterNetModel {
  private constructor(private readonly model: tf.GraphModel) {}

  static async load(model: VerifiedModel): Promise<CenterNetModel> {
    return new CenterNetModel(await loadGraphModel(model));
  }

  /** People and vehicles in `input` pixel coordinates. */
  async run(input: tf.Tensor3D, minScore: number): Promise<Detection[]> {
    const [height, width] = input.shape;
    const batch = tf.tidy(() => tf.expandDims(tf.image.resizeBilinear(tf.cast(input, 'float32'), [INPUT_SIDE, INPUT_SIDE])));
    const output = this.model.execute(batch, ['tower_0/detections']) as tf.Tensor;
    batch.dispose();
    const rows = ((await output.array()) as number[][][])[0] ?? [];
    output.dispose();
    const sx = width / INPUT_SIDE;
    const sy = height / INPUT_SIDE;
    const detections: Detection[] = [];
    for (const [x0 = 0, y0 = 0, x1 = 0, y1 = 0, score = 0, coco = -1] of rows) {
      const cls = COCO_TO_CLASS.get(Math.round(coco));
      if (!cls || score < minScore) continue;
      detections.push({ cls, score, x: x0 * sx, y: y0 * sy, w: (x1 - x0) * sx, h: (y1 - y0) * sy });
    }
    return detections;
  }

  dispose(): void {
    this.model.dispose();
  }
}
