import type { FrameSize } from '../media/ffmpeg-args.js';
import { MediaProcess } from '../media/ffmpeg-process.js';
import type { MediaTools } from '../media/media-tools.js';
import type { FrameSink } from './frame-loop.js';

const PREVIEW_WIDTH = 640;
const JPEG_END = Buffer.from([0xff, 0xd9]);

/**
 * Tees the frame loop's output (frames already redacted) into a small MJPEG encoder for the operator
 * preview: every n-th frame, copied, and only while the preview encoder keeps up (it never slows the loop).
 * JPEGs are cut from the encoder's output at their end marker, which entropy-coded data never contains.
 */
export class PreviewTap implements FrameSink {
  private readonly process: MediaProcess;
  private readonly every: number;
  private count = 0;
  private pending = Buffer.alloc(0);

  constructor(private readonly inner: FrameSink, tools: MediaTools, size: FrameSize, fps: number, previewFps: number, onJpeg: (jpeg: Buffer) => void) {
    this.every = Math.max(1, Math.round(fps / previewFps));
    this.process = new MediaProcess(tools.ffmpeg, [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${size.width}x${size.height}`, '-r', String(previewFps),
      '-i', 'pipe:0', '-vf', `scale='min(${PREVIEW_WIDTH},iw)':-2`, '-map_metadata', '-1', '-an', '-c:v', 'mjpeg', '-q:v', '6', '-f', 'image2pipe', 'pipe:1',
    ]);
    this.process.stdout.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      for (let end = this.pending.indexOf(JPEG_END); end !== -1; end = this.pending.indexOf(JPEG_END)) {
        onJpeg(Buffer.from(this.pending.subarray(0, end + 2)));
        this.pending = this.pending.subarray(end + 2);
      }
    });
  }

  write(frame: Uint8Array, done: () => void): boolean {
    const stdin = this.process.stdin;
    if (this.count % this.every === 0 && this.process.running && stdin.writableLength === 0) stdin.write(Buffer.from(frame));
    this.count += 1;
    return this.inner.write(frame, done);
  }

  onDrain(callback: () => void): void {
    this.inner.onDrain(callback);
  }

  async close(): Promise<void> {
    await this.process.stop(500);
  }
}
