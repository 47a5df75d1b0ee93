import type { Detector, ObjectClass } from '../detector.js';
import { ProfileDetector, type ProfileSpec } from './profile-detector.js';

export type ProfileName = 'live' | 'thorough';

export const PROFILE_NAMES: readonly ProfileName[] = ['live', 'thorough'];

const FACE_PADDING = { scaleW: 1.3, scaleH: 1.4, shiftUp: 0.05, minSide: 0 };
const PLATE_PADDING = { scaleW: 1.4, scaleH: 1.9, shiftUp: 0, minSide: 0 };
const PLATE_SHAPE = { minAspect: 1.2, maxAspect: 12, minHeight: 4, minScore: 0.5 };

/** Accuracy first (offline jobs, body-worn uploads): native resolution, tiled and magnified face search. */
export const THOROUGH_PROFILE: ProfileSpec = {
  id: 'thorough',
  analysisLongSide: 0,
  faces: { minConfidence: 0.3, wholeImage: true, tiling: { budget: 8, maxUpscale: 2, overlap: 0.2 } },
  facePadding: FACE_PADDING,
  headFallback: null,
  plates: {
    wholeImageLongSide: 960,
    vehicles: { maxVehicles: 8, minScore: 0.3, targetWidth: 480, maxUpscale: 3, bandTop: 0.3 },
    shape: PLATE_SHAPE,
  },
  platePadding: PLATE_PADDING,
  objectMinScore: 0.25,
  onnxThreads: 2,
};

/** Fits the live budget: one downscaled whole-frame pass per model. */
export const LIVE_PROFILE: ProfileSpec = {
  id: 'live',
  analysisLongSide: 1280,
  faces: { minConfidence: 0.3, wholeImage: true, tiling: null },
  facePadding: FACE_PADDING,
  headFallback: null,
  plates: { wholeImageLongSide: 960, vehicles: null, shape: PLATE_SHAPE },
  platePadding: PLATE_PADDING,
  objectMinScore: 0.25,
  onnxThreads: 1,
};

const PROFILES: Record<ProfileName, ProfileSpec> = { live: LIVE_PROFILE, thorough: THOROUGH_PROFILE };

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}

/**
 * Loads the models a profile needs for `classes` from `modelsDir` (hash-verified) and returns its detector.
 * Call it inside the worker thread that will run the detector.
 */
export async function createProfileDetector(profile: ProfileName, options: { modelsDir: string; classes: ObjectClass[] }): Promise<Detector> {
  return ProfileDetector.create(PROFILES[profile], options.modelsDir, options.classes);
}

export type { ProfileSpec } from './profile-detector.js';
