import * as ort from 'onnxruntime-node';
import { GatewayError } from '../../shared/errors.js';
import { modelFile, type VerifiedModel } from '../models/model-manifest.js';

/**
 * An ONNX Runtime session built from verified bytes. ONNX Runtime threads work in Node (unlike TF.js WASM);
 * `intraOpThreads` should stay at or below the cores the detector may use.
 */
export async function loadOnnxSession(model: VerifiedModel, intraOpThreads: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelFile(model, '.onnx'), {
      executionProviders: ['cpu'],
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // Spinning worker threads burn a shared edge CPU that the frame loop and other detectors need.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (error) {
    throw new GatewayError('PGW_ERR_DETECTOR_FAILED', `ONNX model '${model.entry.id}' failed to load`, { model: model.entry.id }, { cause: error });
  }
}

export { ort };
