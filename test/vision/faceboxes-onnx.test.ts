import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou, nonMaxSuppression } from '../../src/vision/box-ops.js';
import type { Detection } from '../../src/vision/detector.js';
import { FaceBoxesOnnxModel, faceBoxesAnchors } from '../../src/vision/faces/faceboxes-onnx-model.js';
import { loadModelManifest, loadVerifiedModel } from '../../src/vision/models/model-manifest.js';
import { initTfjsWasm } from '../../src/vision/runtime/tfjs-runtime.js';
import { loadGraphModel } from './tfjs-graph-oracle.js';

/**
 * The ONNX FaceBoxes (converted by models/tools/faceboxes_to_onnx.py) must compute what the original TF.js graph
 * computes: the same anchors and, on real crowd images, the same faces. The TF.js graph is the oracle here.
 */
const IMAGES = ['../shared/eval/wider_face_street/images/0_Parade_Parade_0_490.jpg', '../shared/eval/wider_face_street/images/0_Parade_Parade_0_628.jpg'];
const MIN_SCORE = 0.3;

let graph: tf.GraphModel;
let onnxModel: FaceBoxesOnnxModel;

beforeAll(async () => {
  await initTfjsWasm();
  const manifest = await loadModelManifest('models');
  graph = await loadGraphModel(await loadVerifiedModel('models', 'faceboxes', manifest));
  onnxModel = await FaceBoxesOnnxModel.load(await loadVerifiedModel('models', 'faceboxes-onnx', manifest), { threads: 1, memoryArena: false });
});

afterAll(async () => {
  graph.dispose();
  await onnxModel.dispose();
});

async function graphFaces(image: tf.Tensor3D, longSide: number): Promise<Detection[]> {
  const [height, width] = image.shape;
  const scale = longSide / Math.max(width, height);
  const batch = tf.tidy(() => tf.cast(tf.expandDims(tf.image.resizeBilinear(tf.cast(image, 'float32'), [Math.round(height * scale), Math.round(width * scale)])), 'int32'));
  const [scoresT, boxesT] = (await graph.executeAsync(batch, ['scores', 'boxes'])) as tf.Tensor[];
  batch.dispose();
  const scores = (await scoresT?.data()) ?? new Float32Array();
  const boxes = (await boxesT?.data()) ?? new Float32Array();
  scoresT?.dispose();
  boxesT?.dispose();
  const faces: Detection[] = [];
  scores.forEach((score, i) => {
    const [y0 = 0, x0 = 0, y1 = 0, x1 = 0] = boxes.subarray(i * 4, i * 4 + 4);
    if (score >= MIN_SCORE) faces.push({ cls: 'face', score, x: x0 * width, y: y0 * height, w: (x1 - x0) * width, h: (y1 - y0) * height });
  });
  return faces;
}

describe('FaceBoxes converted to ONNX', () => {
  it('generates the anchors of the original graph for padded inputs of several shapes', async () => {
    for (const [height, width] of [[200, 300], [581, 1033]] as const) {
      const input = tf.zeros([1, height, width, 3], 'int32');
      const [anchorsT, paddedH, paddedW] = graph.execute(input, ['concatenate/clip_by_value', 'image_padding/mul', 'image_padding/mul_1']) as tf.Tensor[];
      input.dispose();
      const expected = (await anchorsT?.data()) as Float32Array;
      const ours = faceBoxesAnchors((await paddedH?.data())?.[0] ?? 0, (await paddedW?.data())?.[0] ?? 0);
      for (const t of [anchorsT, paddedH, paddedW]) t?.dispose();
      expect(ours.length).toBe(expected.length);
      const worst = ours.reduce((max, value, i) => Math.max(max, Math.abs(value - (expected[i] ?? Number.NaN))), 0);
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('finds the same faces as the TF.js graph on real crowd images', async () => {
    let total = 0;
    let matched = 0;
    for (const file of IMAGES) {
      for (const longSide of [1024, 1600]) {
        // Both get the same pixels: the image is scaled once, and each model runs it at scale 1.
        const { data, info } = await sharp(file).resize(longSide, longSide, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const image = tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32');
        const expected = await graphFaces(image, Math.max(info.width, info.height));
        image.dispose();
        const ours = await onnxModel.run({ width: info.width, height: info.height, data: new Uint8Array(data) }, Math.max(info.width, info.height), MIN_SCORE);
        total += expected.length;
        matched += expected.filter((e) => ours.some((o) => iou(e, o) > 0.95 && Math.abs(e.score - o.score) < 0.02)).length;
        expect(Math.abs(ours.length - expected.length)).toBeLessThanOrEqual(1);
      }
    }
    expect(total).toBeGreaterThan(50);
    expect(matched / total).toBeGreaterThan(0.97);
  });

  it('keeps the best of overlapping boxes and caps the count in non-maximum suppression', () => {
    const box = (x: number, score: number): Detection => ({ cls: 'face', score, x, y: 0, w: 10, h: 10 });
    const kept = nonMaxSuppression([box(0, 0.5), box(1, 0.9), box(50, 0.7), box(100, 0.6)], 0.3, 2);
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.7]);
  });
});
