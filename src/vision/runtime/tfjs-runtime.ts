import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { GatewayError } from '../../shared/errors.js';
import { modelFile, type VerifiedModel } from '../models/model-manifest.js';

let backendReady: Promise<void> | undefined;

/**
 * Selects the TF.js WASM backend once per thread. The .wasm binaries come from the installed package on local
 * disk; WASM threads are unavailable in Node, so parallelism comes from one detector per worker thread.
 */
export function initTfjsWasm(): Promise<void> {
  backendReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(wasmDir);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new GatewayError('PGW_ERR_DETECTOR_FAILED', 'TF.js WASM backend failed to initialise', { wasmDir });
    await tf.ready();
  })();
  return backendReady;
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function asArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Weight specs and the concatenated weight bytes, in the order the manifest groups list their shard files. */
export function weightsFromManifest(model: VerifiedModel, groups: WeightsManifestGroup[]): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const shards = groups.flatMap((group) => group.paths.map((shard) => modelFile(model, shard)));
  return { specs: groups.flatMap((group) => group.weights), data: asArrayBuffer(Buffer.concat(shards)) };
}

/** Decodes a face-api style weight map (manifest JSON + shards) from verified bytes. */
export async function loadWeightMap(model: VerifiedModel): Promise<tf.NamedTensorMap> {
  await initTfjsWasm();
  const groups = JSON.parse(modelFile(model, 'manifest.json').toString('utf8')) as WeightsManifestGroup[];
  const { specs, data } = weightsFromManifest(model, groups);
  return tf.io.decodeWeights(data, specs);
}
