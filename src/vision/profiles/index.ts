import type { Detector, ObjectClass } from '../detector.js';
import { ProfileDetector, type ProfileSpec } from './profile-detector.js';

export type ProfileName = 'live' | 'thorough';

export const PROFILE_NAMES: readonly ProfileName[] = ['live', 'thorough'];

/** Detector face boxes are tighter than a redaction needs (hair, ears, chin); measured on wider_face_street. */
const FACE_PADDING = { scaleW: 1.5, scaleH: 1.6, shiftUp: 0.05, minSide: 0, minWidthPerHeight: 0 };
/**
 * Text boxes stop at the characters; the plate frame around them is about 1.3× wider and 1.9× taller. A plate's
 * character line spans at least about 4.5 character heights (EU plates about 6); a narrower text box is a plate
 * whose faint or dirty characters the text map missed, so it is widened around its centre to that width.
 */
const PLATE_PADDING = { scaleW: 1.3, scaleH: 1.9, shiftUp: 0, minSide: 0, minWidthPerHeight: 4.5 };
/**
 * Plates end where their flat background does: most plates' frames hug the characters, so the 1.9× padding (sized
 * for US plates with lettering above and below) is pulled in to the background's edge when it lies within reach.
 * On the dev plate sets it raised ro_dashcam precision from 0.468 to 0.516 with recall unchanged on both sets (README).
 */
const PLATE_FRAME = { tolerance: 0.4, edgeRun: 0.35, verticalMargin: 0.25, horizontalMargin: 0.7 };
const PLATE_SHAPE = { minAspect: 1.7, maxAspect: 10, minHeight: 3, minScore: 0.6, maxHeightShare: 0.2 };

/**
 * Accuracy first (offline jobs, body-worn uploads): native resolution up to 4K; FaceBoxes at two magnifications
 * (small faces) plus SSD on the whole image (large and turned faces); head fallback from detected people; plates
 * from whole-image text in vehicle context plus magnified text passes over each vehicle's lower part.
 */
export const THOROUGH_PROFILE: ProfileSpec = {
  id: 'thorough',
  /**
   * Larger pictures (phone photos of 48 MP, 8K video) are analysed at 4096 px: every pass already works at or under
   * that (FaceBoxes ≤ 4.5 MP, whole-image text 1280 px, SSD and CenterNet 512 px), while a native-size analysis
   * copy made a 60 MP photo cost 3.9 GB and a 256 MP one exhausted the detector's WASM memory.
   */
  analysisLongSide: 4096,
  faces: {
    minConfidence: 0.2,
    ssdWholeImage: true,
    faceBoxesPasses: [
      { maxMagnification: 1.6, maxPixels: 2_600_000 },
      { maxMagnification: 2.5, maxPixels: 4_500_000 },
    ],
    faceBoxesMinScore: 0.2,
  },
  facePadding: FACE_PADDING,
  headFallback: { minScore: 0.4, widthShare: 0.5, heightPerWidth: 1.2, score: 0.5 },
  plates: {
    wholeImageLongSide: 1280,
    vehicles: { maxVehicles: 8, minScore: 0.3, targetWidth: 640, maxUpscale: 4, bandTop: 0.3 },
    shape: PLATE_SHAPE,
    vehicleContext: { outsideMinScore: 0.9, outsideMinAspect: 2.8, maxHeightPerVehicleWidth: 0.15 },
  },
  platePadding: PLATE_PADDING,
  plateFrame: PLATE_FRAME,
  objectMinScore: 0.25,
  objectTiling: true,
  onnx: { threads: 2, memoryArena: true },
};

/** Fits the live budget: one FaceBoxes pass and one text pass per frame, both on a downscaled frame. */
export const LIVE_PROFILE: ProfileSpec = {
  id: 'live',
  analysisLongSide: 1280,
  faces: { minConfidence: 0.2, ssdWholeImage: false, faceBoxesPasses: [{ maxMagnification: 1, maxPixels: 1_000_000 }], faceBoxesMinScore: 0.2 },
  facePadding: FACE_PADDING,
  headFallback: null,
  plates: { wholeImageLongSide: 800, vehicles: null, shape: PLATE_SHAPE, vehicleContext: null },
  platePadding: PLATE_PADDING,
  plateFrame: PLATE_FRAME,
  objectMinScore: 0.25,
  objectTiling: false,
  onnx: { threads: 1, memoryArena: false },
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
