import sharp from 'sharp';
import type { Detector } from '../vision/detector.js';
import type { EvalRegion, RegionSource } from './eval-run.js';

/**
 * Direct detector harness: decodes an image, scales it to the detector's analysis size and maps detections back
 * to source pixels, like the frame loop does. Used only while the pipeline's file redactor is unavailable.
 */
export function directRegionSource(detector: Detector): RegionSource {
  return async (imagePath) => {
    const decoded = await sharp(imagePath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const sourceWidth = decoded.info.width;
    const sourceHeight = decoded.info.height;
    const size = detector.inputSize(sourceWidth, sourceHeight);
    const pixels =
      size.width === sourceWidth && size.height === sourceHeight
        ? decoded.data
        : await sharp(decoded.data, { raw: { width: sourceWidth, height: sourceHeight, channels: 3 } }).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer();
    const started = performance.now();
    const detections = await detector.detect(
      { width: size.width, height: size.height, data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) },
      { index: 0, ptsMs: 0, sourceWidth, sourceHeight },
    );
    const detectMs = performance.now() - started;
    const sx = sourceWidth / size.width;
    const sy = sourceHeight / size.height;
    const regions: EvalRegion[] = detections.map((d) => ({ x: d.x * sx, y: d.y * sy, w: d.w * sx, h: d.h * sy, class: d.cls, score: d.score }));
    return { regions, detectMs };
  };
}
