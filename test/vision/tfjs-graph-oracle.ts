import * as tf from '@tensorflow/tfjs';
import { modelFile, type VerifiedModel } from '../../src/vision/models/model-manifest.js';
import { initTfjsWasm, weightsFromManifest, type WeightsManifestGroup } from '../../src/vision/runtime/tfjs-runtime.js';

/**
 * The original TF.js graph of a converted model (from verified bytes), the oracle the ONNX conversions are
 * tested against. The gateway itself runs the ONNX files.
 */
export async function loadGraphModel(model: VerifiedModel): Promise<tf.GraphModel> {
  await initTfjsWasm();
  const topology = JSON.parse(modelFile(model, '.json').toString('utf8')) as {
    modelTopology: object;
    weightsManifest: WeightsManifestGroup[];
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    signature?: object;
    userDefinedMetadata?: Record<string, object>;
  };
  const { specs, data } = weightsFromManifest(model, topology.weightsManifest);
  const handler = tf.io.fromMemory({
    modelTopology: topology.modelTopology,
    weightSpecs: specs,
    weightData: data,
    format: topology.format,
    generatedBy: topology.generatedBy,
    convertedBy: topology.convertedBy ?? undefined,
    signature: topology.signature,
    userDefinedMetadata: topology.userDefinedMetadata,
  });
  return tf.loadGraphModel(handler);
}
