import * as ort from 'onnxruntime-node';
import { GatewayError } from '../../shared/errors.js';
import { modelFile, type VerifiedModel } from '../models/model-manifest.js';

/** How a profile runs its ONNX sessions. */
export interface OnnxSettings {
  /** At or below the cores the detector may use (ONNX Runtime threads work in Node, unlike TF.js WASM's). */
  readonly threads: number;
  /**
   * ONNX Runtime's memory arena keeps the peak of every run allocated: ≈ 100 MB more per live camera process
   * for a few per cent of speed, so live profiles turn it off.
   */
  readonly memoryArena: boolean;
}

/** An ONNX Runtime session built from verified bytes. */
export async function loadOnnxSession(model: VerifiedModel, settings: OnnxSettings): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelFile(model, '.onnx'), {
      executionProviders: ['cpu'],
      intraOpNumThreads: settings.threads,
      enableCpuMemArena: settings.memoryArena,
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
