import type * as tf from '@tensorflow/tfjs';
import { clipBox, fromCrop } from '../box-ops.js';
import type { Box, Detection } from '../detector.js';
import { cropScaled } from '../image-tensor.js';
import { plateShaped, type TextRegionModel } from './text-region-model.js';

export interface PlateShape {
  /** Width / height of a plate's character line (single-line EU plates ≈ 4–7, two-line and square plates ≈ 1–2). */
  readonly minAspect: number;
  readonly maxAspect: number;
  /** Text lines shorter than this (analysis pixels at the pass's scale) are noise. */
  readonly minHeight: number;
  readonly minScore: number;
}

export interface PlateSearchSpec {
  /** Longest side of the whole-image text pass, or 0 to skip it. */
  readonly wholeImageLongSide: number;
  /** Text passes on the lower part of vehicle boxes, magnified so that small, far plates become legible. */
  readonly vehicles: {
    readonly maxVehicles: number;
    readonly minScore: number;
    /** Vehicle crops are scaled so their width is at least this (and magnified at most `maxUpscale`). */
    readonly targetWidth: number;
    readonly maxUpscale: number;
    /** Share of the vehicle box height, from the top, above which plates are not searched. */
    readonly bandTop: number;
  } | null;
  readonly shape: PlateShape;
}

async function textPass(text: TextRegionModel, image: tf.Tensor3D, crop: Box, scale: number, shape: PlateShape): Promise<Detection[]> {
  const input = cropScaled(image, crop, scale);
  try {
    const regions = await text.run(input, shape.minScore);
    return plateShaped(regions, shape.minAspect, shape.maxAspect, shape.minHeight).map((plate) => fromCrop(plate, crop, scale));
  } finally {
    input.dispose();
  }
}

/** Plate-shaped text on the whole image and in vehicle bands, in `image` pixels, unpadded (tight on characters). */
export async function searchPlates(text: TextRegionModel, image: tf.Tensor3D, vehicles: readonly Detection[], spec: PlateSearchSpec): Promise<Detection[]> {
  const [height, width] = image.shape;
  const found: Detection[] = [];
  if (spec.wholeImageLongSide > 0) {
    const scale = Math.min(1, spec.wholeImageLongSide / Math.max(width, height));
    found.push(...(await textPass(text, image, { x: 0, y: 0, w: width, h: height }, scale, spec.shape)));
  }
  if (!spec.vehicles) return found;
  const band = spec.vehicles;
  const candidates = vehicles
    .filter((v) => v.cls === 'vehicle' && v.score >= band.minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, band.maxVehicles);
  for (const vehicle of candidates) {
    const crop = clipBox({ x: vehicle.x - vehicle.w * 0.05, y: vehicle.y + vehicle.h * band.bandTop, w: vehicle.w * 1.1, h: vehicle.h * (1.1 - band.bandTop) }, width, height);
    if (!crop) continue;
    const scale = Math.min(band.maxUpscale, Math.max(1, band.targetWidth / crop.w));
    found.push(...(await textPass(text, image, crop, scale, spec.shape)));
  }
  return found;
}
