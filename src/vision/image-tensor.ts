import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from './detector.js';

/** The analysis image as an int32 HWC tensor (TF.js has no uint8 dtype); the caller disposes it. */
export function imageToTensor(image: RgbImage): tf.Tensor3D {
  return tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
}
