import * as tf from '@tensorflow/tfjs';
import type { Box, RgbImage } from './detector.js';

/** The analysis image as an int32 HWC tensor (TF.js has no uint8 dtype); the caller disposes it. */
export function imageToTensor(image: RgbImage): tf.Tensor3D {
  return tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
}

/**
 * A crop of `image` magnified by `scale`, as float32; the caller disposes it.
 * Crops are clamped to the image so edge tiles never read outside it.
 */
export function cropScaled(image: tf.Tensor3D, crop: Box, scale: number): tf.Tensor3D {
  const [height, width] = image.shape;
  const x = Math.max(0, Math.min(width - 1, Math.round(crop.x)));
  const y = Math.max(0, Math.min(height - 1, Math.round(crop.y)));
  const w = Math.max(1, Math.min(width - x, Math.round(crop.w)));
  const h = Math.max(1, Math.min(height - y, Math.round(crop.h)));
  return tf.tidy(() => {
    const sliced = tf.slice3d(image, [y, x, 0], [h, w, 3]);
    const outW = Math.max(1, Math.round(w * scale));
    const outH = Math.max(1, Math.round(h * scale));
    if (outW === w && outH === h) return tf.cast(sliced, 'float32');
    return tf.image.resizeBilinear(sliced, [outH, outW], true);
  });
}
