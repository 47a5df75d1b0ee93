import * as tf from '@tensorflow/tfjs';
import type { Detection } from '../detector.js';
import type { VerifiedModel } from '../models/model-manifest.js';
import { loadGraphModel } from '../runtime/tfjs-runtime.js';

/**
 * FaceBoxes (TF.js graph model): takes an int32 image of any size and returns up to 100 faces with boxes
 * normalised as [ymin, xmin, ymax, xmax]. Much cheaper than SSD, so it suits the live budget.
 */
export class FaceBoxesModel {
  private constructor(private readonly model: tf.GraphModel) {}

  static async load(model: VerifiedModel): Promise<FaceBoxesModel> {
    return new FaceBoxesModel(await loadGraphModel(model));
  }

  /** Faces in `input` pixel coordinates; `input` is scaled to `longSide` on its longer side first. */
  async run(input: tf.Tensor3D, longSide: number, minScore: number): Promise<Detection[]> {
    const [height, width] = input.shape;
    const scale = longSide / Math.max(width, height);
    const batch = tf.tidy(() =>
      tf.cast(tf.expandDims(tf.image.resizeBilinear(tf.cast(input, 'float32'), [Math.round(height * scale), Math.round(width * scale)])), 'int32'),
    );
    const outputs = (await this.model.executeAsync(batch, ['scores', 'boxes'])) as tf.Tensor[];
    batch.dispose();
    const [scoresT, boxesT] = outputs;
    const scores = (await scoresT?.data()) ?? new Float32Array();
    const boxes = (await boxesT?.data()) ?? new Float32Array();
    for (const t of outputs) t.dispose();
    const faces: Detection[] = [];
    for (let i = 0; i < scores.length; i++) {
      const score = scores[i] ?? 0;
      if (score < minScore) continue;
      const [y0 = 0, x0 = 0, y1 = 0, x1 = 0] = boxes.subarray(i * 4, i * 4 + 4);
      faces.push({ cls: 'face', score, x: x0 * width, y: y0 * height, w: (x1 - x0) * width, h: (y1 - y0) * height });
    }
    return faces;
  }

  dispose(): void {
    this.model.dispose();
  }
}
