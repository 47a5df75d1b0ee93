import type * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type { Detection } from '../detector.js';
import type { VerifiedModel } from '../models/model-manifest.js';
import { loadWeightMap } from '../runtime/tfjs-runtime.js';

/** SSD MobileNet v1 (WIDER FACE) through face-api: square-pads its input and runs at 512 × 512. */
export class SsdFaceModel {
  static readonly INPUT_SIDE = 512;

  private constructor(private readonly net: faceapi.SsdMobilenetv1) {}

  static async load(model: VerifiedModel): Promise<SsdFaceModel> {
    const weightMap = await loadWeightMap(model);
    const net = new faceapi.SsdMobilenetv1();
    // face-api bundles its own copy of the TF.js type declarations; the runtime objects are the same engine's.
    net.loadFromWeightMap(weightMap as unknown as Parameters<faceapi.SsdMobilenetv1['loadFromWeightMap']>[0]);
    return new SsdFaceModel(net);
  }

  /** Faces in `input` pixel coordinates. `maxResults` is raised well above face-api's 100 for crowds. */
  async run(input: tf.Tensor3D, minConfidence: number, maxResults = 400): Promise<Detection[]> {
    const faces = await this.net.locateFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults }));
    return faces.map((face) => ({ cls: 'face' as const, score: face.score, x: face.box.x, y: face.box.y, w: face.box.width, h: face.box.height }));
  }

  dispose(): void {
    this.net.dispose();
  }
}
