import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RawFrameReader } from '../../src/media/raw-frame-reader.js';

const FRAME = 4;

/** Bytes 0, 1, 2, … so any lost, repeated or reordered byte shows in the frames. */
function sequence(from: number, count: number): Buffer {
  return Buffer.from(Array.from({ length: count }, (_, i) => (from + i) % 256));
}

describe('RawFrameReader', () => {
  it('keeps every byte in order when the pipe delivers data while paused for backpressure', async () => {
    const stream = new PassThrough();
    const free: Buffer[] = [Buffer.alloc(FRAME)];
    const frames: number[][] = [];
    let ended: { frames: number; partial: number } | undefined;
    const reader = new RawFrameReader(stream, FRAME, {
      target: () => free.pop(),
      frame: (_index, buffer) => frames.push([...(buffer ?? [])]),
      end: (count, partial) => {
        ended = { frames: count, partial };
      },
    });
    stream.write(sequence(0, 10));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.isPaused()).toBe(true);
    // Node resumes a child's stdout when the child exits, whatever its reader wanted: more data arrives now.
    stream.resume();
    stream.end(sequence(10, 6));
    await new Promise((resolve) => setImmediate(resolve));
    while (ended === undefined) {
      free.push(Buffer.alloc(FRAME));
      reader.resume();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(ended).toEqual({ frames: 4, partial: 0 });
    expect(frames.flat()).toEqual([...sequence(0, 16)]);
  });

  it('reports a cut-short last frame and discards frames whose target is null', async () => {
    const stream = new PassThrough();
    const seen: (number[] | null)[] = [];
    const done = new Promise<{ frames: number; partial: number }>((resolve) => {
      new RawFrameReader(stream, FRAME, {
        target: (index) => (index === 1 ? null : Buffer.alloc(FRAME)),
        frame: (_index, buffer) => seen.push(buffer ? [...buffer] : null),
        end: (frames, partial) => resolve({ frames, partial }),
      });
    });
    stream.end(sequence(0, 10));
    expect(await done).toEqual({ frames: 2, partial: 2 });
    expect(seen).toEqual([[0, 1, 2, 3], null]);
  });
});
