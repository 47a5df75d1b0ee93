import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GatewayError } from '../shared/errors.js';
import type { Detection, Detector, FrameInfo, ModelInfo, RgbImage } from './detector.js';

/**
 * Face detection with face-api (TF.js, WASM backend): the tiny face detector for the `live` profile and
 * SSD MobileNet v1 for `thorough`. Weights ship in the face-api package and are read from disk; nothing is
 * fetched at run time. Boxes come back padded for redaction (detector boxes hug the face; hair, ears and
 * chin identify too).
 */

type Tensor = { dispose(): void };
interface FaceBox {
  box: { x: number; y: number; width: number; height: number };
  score: number;
}
interface FaceNet {
  loadFromWeightMap(map: unknown): void;
}
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(data: Uint8Array | Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
    io: { decodeWeights(buffer: ArrayBuffer, specs: unknown[]): unknown };
  };
  nets: { tinyFaceDetector: FaceNet; ssdMobilenetv1: FaceNet };
  TinyFaceDetectorOptions: new (options: { inputSize: number; scoreThreshold: number }) => unknown;
  SsdMobilenetv1Options: new (options: { minConfidence: number; maxResults: number }) => unknown;
  detectAllFaces(input: Tensor, options: unknown): Promise<FaceBox[]>;
}

export type FaceApiProfile = 'live' | 'thorough';

interface ProfileSettings {
  model: 'tiny_face_detector_model' | 'ssd_mobilenetv1_model';
  /** Width of the analysis image the frame loop delivers. */
  analysisWidth: number;
  options(api: FaceApi): unknown;
}

const PROFILES: Record<FaceApiProfile, ProfileSettings> = {
  live: {
    model: 'tiny_face_detector_model',
    analysisWidth: 640,
    options: (api) => new api.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.35 }),
  },
  thorough: {
    model: 'ssd_mobilenetv1_model',
    analysisWidth: 960,
    options: (api) => new api.SsdMobilenetv1Options({ minConfidence: 0.3, maxResults: 200 }),
  },
};

/** Margin added on each side, as a share of the detected box. */
const PAD_X = 0.2;
const PAD_Y = 0.25;

const require = createRequire(import.meta.url);

let backendReady: Promise<FaceApi> | undefined;

function loadFaceApi(): Promise<FaceApi> {
  backendReady ??= (async () => {
    const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    await api.tf.setBackend('wasm');
    await api.tf.ready();
    return api;
  })();
  return backendReady;
}

interface WeightsManifest {
  paths: string[];
  weights: unknown[];
}

function loadWeights(api: FaceApi, dir: string, model: string): { map: unknown; info: ModelInfo } {
  const manifestPath = join(dir, `${model}-weights_manifest.json`);
  let groups: WeightsManifest[];
  let weights: Buffer;
  try {
    groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as WeightsManifest[];
    weights = Buffer.concat(groups.flatMap((group) => group.paths.map((path) => readFileSync(join(dir, path)))));
  } catch (error) {
    throw new GatewayError('PGW_ERR_MODEL_MISSING', `model ${model} cannot be read from ${dir}`, { model, dir }, { cause: error });
  }
  const specs = groups.flatMap((group) => group.weights);
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const sha256 = createHash('sha256').update(weights).digest('hex');
  return { map: api.tf.io.decodeWeights(buffer, specs), info: { id: `face-api/${model}`, sha256 } };
}

export function faceApiModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

export async function createFaceApiDetector(profile: FaceApiProfile, modelDir = faceApiModelDir()): Promise<Detector> {
  const api = await loadFaceApi();
  const settings = PROFILES[profile];
  const { map, info } = loadWeights(api, modelDir, settings.model);
  const net = settings.model === 'tiny_face_detector_model' ? api.nets.tinyFaceDetector : api.nets.ssdMobilenetv1;
  net.loadFromWeightMap(map);
  const options = settings.options(api);
  // The first inference builds the graph and allocates WASM memory (several times slower): pay it at load time.
  const warmup = api.tf.tensor3d(new Int32Array(settings.analysisWidth * 360 * 3), [360, settings.analysisWidth, 3], 'int32');
  try {
    await api.detectAllFaces(warmup, options);
  } finally {
    warmup.dispose();
  }
  return {
    id: `${profile}:face-api`,
    models: [info],
    inputSize(sourceWidth, sourceHeight) {
      const width = Math.min(sourceWidth, settings.analysisWidth);
      const height = Math.max(2, Math.round((sourceHeight * width) / sourceWidth / 2) * 2);
      return { width, height };
    },
    async detect(image: RgbImage, _frame: FrameInfo): Promise<Detection[]> {
      const input = api.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      try {
        const faces = await api.detectAllFaces(input, options);
        return faces.map(({ box, score }) => padded(box, score, image));
      } finally {
        input.dispose();
      }
    },
    async dispose() {
      // The TF.js runtime belongs to the worker thread and ends with it.
    },
  };
}

function padded(box: FaceBox['box'], score: number, image: RgbImage): Detection {
  const x0 = Math.max(0, box.x - box.width * PAD_X);
  const y0 = Math.max(0, box.y - box.height * PAD_Y);
  const x1 = Math.min(image.width, box.x + box.width * (1 + PAD_X));
  const y1 = Math.min(image.height, box.y + box.height * (1 + PAD_Y));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0, cls: 'face', score };
}
