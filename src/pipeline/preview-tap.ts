import sharp from 'sharp';
import type { FrameSize } from '../media/ffmpeg-args.js';
import type { FrameSink } from './frame-loop.js';

const PREVIEW_WIDTH = 640;
const JPEG_QUALITY = 70;

/** Output size of the preview: at most 640 wide, even sides, the frame's aspect. */
export function previewSize(size: FrameSize): FrameSize {
  const width = Math.min(PREVIEW_WIDTH, size.width - (size.width % 2));
  const height = Math.max(2, Math.round((size.height * width) / size.width / 2) * 2);
  return { width, height };
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Nearest-neighbour downscale of a yuv420p frame into packed RGB (BT.601, limited range). Preview quality only:
 * it reads about one source pixel in nine at 1080p, so it costs a few milliseconds at the preview's rate.
 */
export function yuv420pToRgb(frame: Uint8Array, size: FrameSize, out: Buffer, outSize: FrameSize): void {
  const chromaWidth = Math.ceil(size.width / 2);
  const uBase = size.width * size.height;
  const vBase = uBase + chromaWidth * Math.ceil(size.height / 2);
  let at = 0;
  for (let y = 0; y < outSize.height; y++) {
    const sy = Math.floor((y * size.height) / outSize.height);
    const lumaRow = sy * size.width;
    const chromaRow = (sy >> 1) * chromaWidth;
    for (let x = 0; x < outSize.width; x++) {
      const sx = Math.floor((x * size.width) / outSize.width);
      const c = 1.164 * ((frame[lumaRow + sx] as number) - 16);
      const u = (frame[uBase + chromaRow + (sx >> 1)] as number) - 128;
      const v = (frame[vBase + chromaRow + (sx >> 1)] as number) - 128;
      out[at++] = clamp(c + 1.596 * v);
      out[at++] = clamp(c - 0.392 * u - 0.813 * v);
      out[at++] = clamp(c + 2.017 * u);
    }
  }
}

/**
 * Tees the frame loop's output (frames already redacted) into JPEGs for the operator preview: every n-th frame,
 * downscaled in place of a copy, encoded by libvips off the JS thread, and skipped while the previous one is
 * still encoding, so the preview never slows the loop. No encoder process per camera.
 */
export class PreviewTap implements FrameSink {
  private readonly every: number;
  private readonly outSize: FrameSize;
  private readonly rgb: Buffer;
  private count = 0;
  private encoding: Promise<void> | undefined;

  constructor(private readonly inner: FrameSink, private readonly size: FrameSize, fps: number, previewFps: number, private readonly onJpeg: (jpeg: Buffer) => void) {
    this.every = Math.max(1, Math.round(fps / previewFps));
    this.outSize = previewSize(size);
    this.rgb = Buffer.alloc(this.outSize.width * this.outSize.height * 3);
    // libvips' operation cache would keep every preview's pixels alive; each frame is encoded once.
    sharp.cache(false);
  }

  write(frame: Uint8Array, done: () => void): boolean {
    if (this.count % this.every === 0 && this.encoding === undefined) {
      yuv420pToRgb(frame, this.size, this.rgb, this.outSize);
      const { width, height } = this.outSize;
      this.encoding = sharp(this.rgb, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: JPEG_QUALITY })
        .toBuffer()
        // A preview frame that fails to encode is skipped; the next one is tried (the preview is best effort).
        .then(this.onJpeg, () => undefined)
        .finally(() => {
          this.encoding = undefined;
        });
    }
    this.count += 1;
    return this.inner.write(frame, done);
  }

  onDrain(callback: () => void): void {
    this.inner.onDrain(callback);
  }

  onFailure(callback: (error: Error) => void): void {
    this.inner.onFailure(callback);
  }

  async close(): Promise<void> {
    await this.encoding;
  }
}
