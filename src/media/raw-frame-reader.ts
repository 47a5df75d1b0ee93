import type { Readable } from 'node:stream';

/**
 * Where the next frame's bytes go: a buffer to copy into, `null` to discard the frame without copying,
 * or `undefined` when no buffer is free yet (the reader pauses the pipe until `resume()`).
 */
export type FrameTargetFn = (index: number) => Buffer | null | undefined;

export interface RawFrameHandlers {
  target: FrameTargetFn;
  /** A complete frame; `buffer` is what `target` returned (null for a discarded frame). */
  frame(index: number, buffer: Buffer | null): void;
  /** The pipe ended; `partialBytes` > 0 means the last frame was cut short. */
  end(frames: number, partialBytes: number): void;
}

/**
 * Cuts a raw-video pipe into fixed-size frames, copying each chunk straight into the frame's buffer.
 * Backpressure: when `target` has no buffer, the pipe is paused, so ffmpeg blocks instead of the gateway buffering.
 */
export class RawFrameReader {
  private index = 0;
  private filled = 0;
  private current: Buffer | null | undefined;
  private pending: Buffer | undefined;
  private ended = false;
  private readonly onData = (chunk: Buffer): void => this.consume(chunk);

  constructor(
    private readonly stream: Readable,
    private readonly frameBytes: number,
    private readonly handlers: RawFrameHandlers,
  ) {
    stream.on('data', this.onData);
    stream.once('end', () => {
      this.ended = true;
      if (this.pending === undefined) this.finish();
    });
  }

  /** Call when a buffer may have become free. */
  resume(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    this.consume(pending);
    if (this.pending === undefined) {
      if (this.ended) this.finish();
      else this.stream.resume();
    }
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0 && this.current === undefined) {
        this.current = this.handlers.target(this.index);
        if (this.current === undefined) {
          this.pending = chunk.subarray(offset);
          this.stream.pause();
          return;
        }
      }
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      if (this.current !== null && this.current !== undefined) chunk.copy(this.current, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        const buffer = this.current ?? null;
        this.current = undefined;
        this.filled = 0;
        this.handlers.frame(this.index, buffer);
        this.index += 1;
      }
    }
  }

  private finish(): void {
    this.stream.off('data', this.onData);
    this.handlers.end(this.index, this.filled);
  }
}
