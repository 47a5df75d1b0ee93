import type * as tf from '@tensorflow/tfjs';
import type { Detection, RgbImage } from '../detector.js';
import type { FaceBoxesOnnxModel } from './faceboxes-onnx-model.js';
import type { SsdFaceModel } from './ssd-face-model.js';

/** One FaceBoxes pass over the whole image, magnified so small faces reach the model's scale range. */
export interface FaceBoxesPass {
  readonly maxMagnification: number;
  /** Pixel budget of the pass: the magnification is lowered so that the scaled image stays within it. */
  readonly maxPixels: number;
}

export interface FaceSearchSpec {
  readonly minConfidence: number;
  /** Run SSD once on the whole image (large faces); it finds large and partly turned faces FaceBoxes misses. */
  readonly ssdWholeImage: boolean;
  readonly faceBoxesPasses: readonly FaceBoxesPass[];
  readonly faceBoxesMinScore: number;
}

/** Long side of a FaceBoxes pass over a width × height image. */
export function faceBoxesLongSide(width: number, height: number, pass: FaceBoxesPass): number {
  const magnification = Math.min(pass.maxMagnification, Math.sqrt(pass.maxPixels / (width * height)));
  return Math.round(Math.max(width, height) * magnification);
}

export interface FaceModels {
  readonly ssd?: SsdFaceModel | undefined;
  readonly faceBoxes?: FaceBoxesOnnxModel | undefined;
}

/**
 * Faces from every pass the spec asks for (FaceBoxes at several magnifications, SSD on the whole image), in
 * `image` pixels, unpadded. `tensorOf` gives the image as a TF.js tensor for the TF.js models (made on demand).
 */
export async function searchFaces(models: FaceModels, image: RgbImage, tensorOf: () => tf.Tensor3D, spec: FaceSearchSpec): Promise<Detection[]> {
  const { width, height } = image;
  const found: Detection[] = [];
  if (models.faceBoxes) {
    for (const pass of spec.faceBoxesPasses) {
      found.push(...(await models.faceBoxes.run(image, faceBoxesLongSide(width, height, pass), spec.faceBoxesMinScore)));
    }
  }
  if (models.ssd && spec.ssdWholeImage) found.push(...(await models.ssd.run(tensorOf(), spec.minConfidence)));
  return found;
}
