import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { GatewayError } from '../shared/errors.js';
import type { Detection, Detector, ObjectClass } from './detector.js';
import { createProfileDetector } from './profiles/index.js';

/**
 * What a detector worker should build. `profile` is the production path (models chosen per profile);
 * `none` detects nothing (detection disabled); `module` loads an ESM module exporting
 * `createDetector(options): Promise<Detector>` (ground-truth, stalling and crashing detectors in tests).
 */
export type DetectorSpec =
  | { kind: 'profile'; profile: 'live' | 'thorough'; modelsDir: string; classes: ObjectClass[] }
  | { kind: 'none' }
  | { kind: 'module'; module: string; options?: unknown };

const NO_DETECTIONS: Detection[] = [];

const disabledDetector: Detector = {
  id: 'none',
  models: [],
  inputSize: () => ({ width: 2, height: 2 }),
  detect: async () => NO_DETECTIONS,
  dispose: async () => undefined,
};

interface DetectorModule {
  createDetector(options: unknown): Promise<Detector>;
}

async function fromModule(path: string, options: unknown): Promise<Detector> {
  const url = path.startsWith('file:') ? path : pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  const loaded = (await import(url)) as Partial<DetectorModule>;
  if (typeof loaded.createDetector !== 'function') {
    throw new GatewayError('PGW_ERR_DETECTOR_FAILED', `detector module ${path} does not export createDetector(options)`, { module: path });
  }
  return loaded.createDetector(options);
}

/** Builds the detector a spec names. Runs inside the detector worker, which owns the runtime. */
export async function createDetector(spec: DetectorSpec): Promise<Detector> {
  switch (spec.kind) {
    case 'none':
      return disabledDetector;
    case 'module':
      return fromModule(spec.module, spec.options);
    case 'profile':
      return createProfileDetector(spec.profile, { modelsDir: spec.modelsDir, classes: spec.classes });
  }
}
