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

/**
 * Reusable planar (CHW) float buffers for ONNX inputs, one per shape, so that a detector running frame after
 * frame does not allocate megabytes per call. A buffer is valid until the next `fill` of the same shape.
 */
export class PlanarInput {
  private readonly buffers = new Map<string, Float32Array>();

  /**
   * `hwc` (height × width × 3, RGB) as normalised planes `(value − mean[c]) / std[c]` of a `padH × padW`
   * canvas; the canvas outside the image (bottom, right) holds `fill[c]`.
   */
  fill(hwc: Float32Array, height: number, width: number, pad: { padH: number; padW: number; fill: readonly number[] }, mean: readonly number[], std: readonly number[]): Float32Array {
    const { padH, padW } = pad;
    const key = `${padH}x${padW}`;
    let out = this.buffers.get(key);
    if (!out) {
      out = new Float32Array(3 * padH * padW);
      this.buffers.set(key, out);
    }
    const plane = padH * padW;
    for (let c = 0; c < 3; c++) {
      const base = c * plane;
      const m = mean[c] ?? 0;
      const inv = 1 / (std[c] ?? 1);
      out.fill(pad.fill[c] ?? 0, base, base + plane);
      for (let y = 0; y < height; y++) {
        const row = base + y * padW;
        let src = y * width * 3 + c;
        for (let x = 0; x < width; x++, src += 3) out[row + x] = ((hwc[src] ?? 0) - m) * inv;
      }
    }
    return out;
  }
}
