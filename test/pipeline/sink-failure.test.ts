import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameLoop, type FrameSink } from '../../src/pipeline/frame-loop.js';
import { ffmpeg, tempDir, tools } from './helpers.js';

describe('frame loop with a sink that dies', () => {
  it('rejects with the sink\'s reason and kills the decoder, though its pipes are paused with frames nobody will read', async () => {
    const clip = join(tempDir(), 'long.mkv');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=30', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
    let written = 0;
    let fail: ((error: Error) => void) | undefined;
    // An encoder whose pipe fills after five frames and which then dies, as one does when the disk fills up.
    const sink: FrameSink = {
      write: (_frame, done) => {
        written += 1;
        if (written === 5) setTimeout(() => fail?.(new Error('encoder failed (No space left on device)')), 300);
        if (written <= 5) done();
        return written < 5;
      },
      onDrain: () => undefined,
      onFailure: (callback) => {
        fail = callback;
      },
    };
    const loop = new FrameLoop({
      tools, source: { input: clip, size: { width: 320, height: 240 }, crop: false, fps: 25 }, detection: null,
      classes: ['face'], style: 'fill', lookaheadMs: 1000, maxDetectionAgeMs: 1000, trackTtlMs: 1000, sink,
    });
    const started = Date.now();
    await expect(loop.run()).rejects.toThrow('encoder failed (No space left on device)');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(written).toBe(5);
  });
});
