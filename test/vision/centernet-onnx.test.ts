import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../../src/vision/box-ops.js';
import type { Detection } from '../../src/vision/detector.js';
import { loadModelManifest, loadVerifiedModel } from '../../src/vision/models/model-manifest.js';
import { CenterNetOnnxModel } from '../../src/vision/objects/centernet-onnx-model.js';
import { initTfjsWasm } from '../../src/vision/runtime/tfjs-runtime.js';
import { loadGraphModel } from './tfjs-graph-oracle.js';

/**
 * The ONNX CenterNet (converted by models/tools/centernet_to_onnx.py) must find what the original TF.js graph
 * finds on the same 512 × 512 pixels: every person and vehicle of the graph's top 100, same box, same score.
 */
const IMAGES = ['../shared/eval/ro_dashcam_plates/images/dayride_type1_001_t0003.jpg', '../shared/eval/wider_face_street/images/0_Parade_Parade_0_490.jpg'];
const RELEVANT = new Map([[0, 'person'], [2, 'vehicle'], [3, 'vehicle'], [5, 'vehicle'], [7, 'vehicle']]);
const MIN_SCORE = 0.25;

let graph: tf.GraphModel;
let onnxModel: CenterNetOnnxModel;

beforeAll(async () => {
  await initTfjsWasm();
  const manifest = await loadModelManifest('models');
  graph = await loadGraphModel(await loadVerifiedModel('models', 'centernet-coco', manifest));
  onnxModel = await CenterNetOnnxModel.load(await loadVerifiedModel('models', 'centernet-onnx', manifest), { threads: 1, memoryArena: false });
});

afterAll(async () => {
  graph.dispose();
  await onnxModel.dispose();
});

async function graphObjects(pixels: Uint8Array): Promise<Detection[]> {
  const input = tf.tensor4d(Float32Array.from(pixels), [1, 512, 512, 3]);
  const output = graph.execute(input, ['tower_0/detections']) as tf.Tensor;
  input.dispose();
  const rows = ((await output.array()) as number[][][])[0] ?? [];
  output.dispose();
  return rows.flatMap(([x0 = 0, y0 = 0, x1 = 0, y1 = 0, score = 0, coco = -1]) => {
    const cls = RELEVANT.get(Math.round(coco));
    return cls && score >= MIN_SCORE ? [{ cls: cls as Detection['cls'], score, x: x0, y: y0, w: x1 - x0, h: y1 - y0 }] : [];
  });
}

describe('CenterNet converted to ONNX', () => {
  it('finds the people and vehicles of the TF.js graph with the same boxes and scores', async () => {
    let total = 0;
    for (const file of IMAGES) {
      const { data } = await sharp(file).resize(512, 512, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixels = new Uint8Array(data);
      const expected = await graphObjects(pixels);
      const ours = await onnxModel.run({ width: 512, height: 512, data: pixels }, MIN_SCORE);
      total += expected.length;
      for (const e of expected) {
        expect(ours.some((o) => o.cls === e.cls && iou(o, e) > 0.95 && Math.abs(o.score - e.score) < 0.02)).toBe(true);
      }
      expect(ours.length).toBeGreaterThanOrEqual(expected.length);
    }
    expect(total).toBeGreaterThan(5);
  });
});
