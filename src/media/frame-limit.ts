import { GatewayError } from '../shared/errors.js';

const megapixels = (pixels: number): string => (pixels >= 100_000 ? `${(pixels / 1e6).toFixed(1)} MP` : `${pixels} pixels`);

/**
 * Refuses video whose frames exceed a configured pixel budget: decoding and look-ahead memory grow with the frame
 * (an 8K stream needs about 50 MB per buffered frame), so an oversized source is an error, not a memory exhaustion.
 * `what` names the source in the message, `key` the setting that raises the limit.
 */
export function checkFramePixels(what: string, width: number, height: number, maxPixels: number, key: string): void {
  if (width * height <= maxPixels) return;
  throw new GatewayError(
    'PGW_ERR_INPUT_INVALID',
    `${what} frames are ${width}×${height} (${megapixels(width * height)}), over the limit of ${megapixels(maxPixels)} (${key})`,
    { width, height, maxPixels },
  );
}
