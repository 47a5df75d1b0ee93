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
 * A paused pipe can still deliver data (Node resumes a child's stdio when the child exits), so chunks that
 * arrive while frames wait for buffers are queued in order, never dropped.
 */
export class RawFrameReader {
  private index = 0;
  private filled = 0;
  private current: Buffer | null | undefined;
  /** Chunks (the first possibly part-consumed) waiting for a free buffer, oldest first. */
  private readonly queued: Buffer[] = [];
  private draining = false;
  private ended = false;
  private finished = false;
  private readonly onData = (chunk: Buffer): void => {
    this.queued.push(chunk);
    this.drain();
  };

  constructor(
    private readonly stream: Readable,
    private readonly frameBytes: number,
    private readonly handlers: RawFrameHandlers,
  ) {
    stream.on('data', this.onData);
    stream.once('end', () => {
      this.ended = true;
      this.drain();
    });
  }

  /** Call when a buffer may have become free. */
  resume(): void {
    this.drain();
  }

  /** Consumes queued chunks in order until one waits for a buffer; re-entrant calls (from handlers) are no-ops. */
  private drain(): void {
    if (this.draining || this.finished) return;
    this.draining = true;
    try {
      while (this.queued.length > 0) {
        const chunk = this.queued[0] as Buffer;
        const stoppedAt = this.consume(chunk);
        if (stoppedAt >= 0) {
          this.queued[0] = chunk.subarray(stoppedAt);
          this.stream.pause();
          return;
        }
        this.queued.shift();
      }
    } finally {
      this.draining = false;
    }
    if (this.ended) this.finish();
    else this.stream.resume();
  }

  /** Copies `chunk` into frames; returns where it stopped for want of a buffer, or -1 when all of it was taken. */
  private consume(chunk: Buffer): number {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0 && this.current === undefined) {
        this.current = this.handlers.target(this.index);
        if (this.current === undefined) return offset;
      }
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      if (this.current) chunk.copy(this.current, this.filled, offset, offset + take);
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
    return -1;
  }

  private finish(): void {
    this.finished = true;
    this.stream.off('data', this.onData);
    this.handlers.end(this.index, this.filled);
  }
}
