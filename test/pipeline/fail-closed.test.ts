import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileRedactor } from '../../src/pipeline/file-redactor.js';
import type { ScriptedDetectorOptions } from './fixtures/scripted-detector.js';
import { captureLogger, decodeLuma, ffmpeg, SCRIPTED_DETECTOR, SETTINGS, tempDir } from './helpers.js';

const WIDTH = 160;
const HEIGHT = 120;

function mean(luma: Buffer): number {
  return luma.reduce((sum, value) => sum + value, 0) / luma.length;
}

async function redactWith(options: ScriptedDetectorOptions, settings = {}) {
  const dir = tempDir();
  const clip = join(dir, 'clip.mp4');
  const output = join(dir, 'out.mp4');
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=s=${WIDTH}x${HEIGHT}:r=25:d=1.2`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
  const capture = captureLogger();
  const redactor = await createFileRedactor({
    detector: { kind: 'module', module: SCRIPTED_DETECTOR, options },
    settings: { ...SETTINGS, detectTimeoutMs: 400, maxDetectionAgeMs: 40, ...settings },
    style: 'pixelate',
    classes: ['face'],
    logger: capture.logger,
  });
  try {
    const report = await redactor.redactFile(clip, { outputPath: output });
    return { report, frames: decodeLuma(output, WIDTH, HEIGHT), messages: capture.messages() };
  } finally {
    await redactor.close();
  }
}

function failClosedIndices(report: { frames: { index: number; regions: { source: string }[] }[] }): number[] {
  return report.frames.filter((frame) => frame.regions.some((region) => region.source === 'failclosed')).map((frame) => frame.index);
}

describe('fail closed (requirement A1, invariant P1)', () => {
  it('a stalled detector: the affected frame leaves fully redacted, is counted, and the worker is restarted', async () => {
    const { report, frames, messages } = await redactWith({ stallAt: [10] });
    expect(report.frameCount).toBe(30);
    expect(failClosedIndices(report)).toEqual([10]);
    expect(report.failClosedFrames).toBe(1);
    expect(mean(frames[10]!)).toBeLessThan(20);
    expect(mean(frames[9]!)).toBeGreaterThan(40);
    expect(mean(frames[11]!)).toBeGreaterThan(40);
    expect(messages).toContain('detector stalled; restarting worker');
  });

  it('a crashed detector worker: the affected frame leaves fully redacted and later frames are analysed again', async () => {
    const { report, frames, messages } = await redactWith({ crashAt: [5] });
    expect(failClosedIndices(report)).toEqual([5]);
    expect(report.failClosedFrames).toBe(1);
    expect(mean(frames[5]!)).toBeLessThan(20);
    expect(mean(frames[6]!)).toBeGreaterThan(40);
    expect(messages).toContain('detector worker crashed; restarting');
  });

  it('past the restart budget the detector stays down and every later frame is fully redacted', async () => {
    const { report, frames, messages } = await redactWith({ stallFrom: 5 }, { detectorMaxRestarts: 1 });
    expect(report.frameCount).toBe(30);
    expect(failClosedIndices(report)).toEqual(Array.from({ length: 25 }, (_, i) => i + 5));
    expect(frames.slice(5).every((luma) => mean(luma) < 20)).toBe(true);
    expect(messages).toContain('detector restart budget exhausted; frames stay fully redacted');
  });

  it('frames are never older than maxDetectionAgeMs: with sparse analysis and a short age limit, unvouched frames are redacted', async () => {
    const { report } = await redactWith({}, { analysisFps: 5, maxDetectionAgeMs: 100 });
    // Analysed every 5th frame (200 ms apart); frames 3 and 4 after each analysis are more than 100 ms from it.
    expect(failClosedIndices(report).slice(0, 4)).toEqual([3, 4, 8, 9]);
  });
});
