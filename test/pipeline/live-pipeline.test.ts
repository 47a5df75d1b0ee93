import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LivePipeline } from '../../src/pipeline/live-pipeline.js';
import { systemClock } from '../../src/shared/clock.js';
import type { AuditEvent } from '../../src/shared/ports.js';
import { DetectorHost } from '../../src/vision/detector-host.js';
import type { ScriptedDetectorOptions } from './fixtures/scripted-detector.js';
import { captureLogger, decodeLuma, probe, SCRIPTED_DETECTOR, tempDir, tools } from './helpers.js';

const WIDTH = 160;
const HEIGHT = 120;

async function runLive(options: ScriptedDetectorOptions, runMs: number) {
  const { logger } = captureLogger();
  const host = new DetectorHost({
    spec: { kind: 'module', module: SCRIPTED_DETECTOR, options },
    clock: systemClock, logger, detectTimeoutMs: 300, initTimeoutMs: 60_000, maxRestarts: 0, restartWindowMs: 60_000,
  });
  await host.start();
  const outputDir = tempDir();
  const events: AuditEvent[] = [];
  const pipeline = new LivePipeline({
    cameraId: 'test',
    source: { input: `testsrc2=s=${WIDTH}x${HEIGHT}:r=25`, inputFormat: 'lavfi', realtime: true, width: WIDTH, height: HEIGHT, rate: '25/1', fps: 25 },
    outputDir,
    detector: host,
    settings: { lookaheadMs: 400, maxDetectionAgeMs: 400, trackTtlMs: 1000, encoderPreset: 'ultrafast', encoderCrf: 23, segmentSeconds: 1 },
    style: 'pixelate',
    classes: ['face'],
    tools,
    logger,
    audit: { port: { append: (event) => events.push(event) }, clock: systemClock },
  });
  await pipeline.start();
  await new Promise((resolve) => setTimeout(resolve, runMs));
  const result = await pipeline.stop();
  await host.close();
  const segments = readdirSync(outputDir).filter((name) => name.endsWith('.mp4')).sort().map((name) => join(outputDir, name));
  return { result: result!, segments, events };
}

describe('live pipeline (latest frame wins)', () => {
  it('writes redacted H.264 segments without audio and, with a healthy detector, no fail-closed frames', async () => {
    const { result, segments, events } = await runLive({}, 3000);
    expect(events).toEqual([]);
    expect(result.frames).toBeGreaterThan(25);
    expect(result.analysed).toBeGreaterThan(10);
    expect(result.failClosedFrames).toBe(0);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const info = probe(segments[0]!);
    expect(info.streams.map((s) => s.codec_type)).toEqual(['video']);
    expect(info.streams[0]).toMatchObject({ codec_name: 'h264', width: WIDTH, height: HEIGHT });
  });

  it('a detector that stalls mid-stream (no restart budget left) turns every later frame fully redacted (A1)', async () => {
    const { result, segments, events } = await runLive({ stallFrom: 12 }, 3000);
    expect(result.failClosedFrames).toBeGreaterThan(0);
    // Audited, rate-limited: the first frame at once, the rest summed when the pipeline stops.
    expect(events.map((e) => e.action)).toEqual(['pipeline.failclosed', 'pipeline.failclosed']);
    expect(events.reduce((sum, e) => sum + Number(e.details?.frames), 0)).toBe(result.failClosedFrames);
    expect(result.frames - result.failClosedFrames).toBeGreaterThan(0);
    const last = decodeLuma(segments[segments.length - 1]!, WIDTH, HEIGHT);
    const mean = (luma: Buffer) => luma.reduce((sum, value) => sum + value, 0) / luma.length;
    expect(last.length).toBeGreaterThan(0);
    expect(last.every((luma) => mean(luma) < 20)).toBe(true);
  });
});
