import type * as tf from '@tensorflow/tfjs';
import { fromCrop, tileGrid } from '../box-ops.js';
import type { Box, Detection } from '../detector.js';
import { cropScaled } from '../image-tensor.js';
import { SsdFaceModel } from './ssd-face-model.js';

export interface FaceTiling {
  /** Most SSD passes over tiles per image: the compute budget. */
  readonly budget: number;
  /** Largest upscale of a tile: small faces are found on enlarged crops, up to this factor. */
  readonly maxUpscale: number;
  /** Overlap of neighbouring tiles as a share of the tile side, so faces cut by one border are whole in the next. */
  readonly overlap: number;
}

export interface FaceSearchSpec {
  readonly minConfidence: number;
  /** Run SSD once on the whole image (large faces). */
  readonly wholeImage: boolean;
  readonly tiling: FaceTiling | null;
}

/**
 * The finest tiling that fits the budget: source tiles of side t are scaled to the SSD input (512 / t), so the
 * smallest t that needs at most `budget` tiles gives the largest magnification small faces can get.
 */
export function chooseTiles(width: number, height: number, tiling: FaceTiling): { tiles: Box[]; scale: number } {
  const side = SsdFaceModel.INPUT_SIDE;
  const longest = Math.max(width, height);
  for (let t = Math.round(side / tiling.maxUpscale); t < longest; t += 32) {
    const tiles = tileGrid(width, height, t, Math.round(t * tiling.overlap));
    if (tiles.length <= tiling.budget) return { tiles, scale: side / t };
  }
  return { tiles: [], scale: 1 };
}

/** Faces from a whole-image pass plus tiled passes at magnification, in `image` pixels, unpadded. */
export async function searchFaces(ssd: SsdFaceModel, image: tf.Tensor3D, spec: FaceSearchSpec): Promise<Detection[]> {
  const [height, width] = image.shape;
  const found: Detection[] = [];
  if (spec.wholeImage) found.push(...(await ssd.run(image, spec.minConfidence)));
  if (!spec.tiling) return found;
  const { tiles, scale } = chooseTiles(width, height, spec.tiling);
  for (const tile of tiles) {
    const crop = cropScaled(image, tile, scale);
    try {
      const faces = await ssd.run(crop, spec.minConfidence);
      found.push(...faces.map((face) => fromCrop(face, tile, scale)));
    } finally {
      crop.dispose();
    }
  }
  return found;
}
