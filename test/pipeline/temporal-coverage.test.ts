import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileRedactor, type FileRedactor } from '../../src/pipeline/file-redactor.js';
import type { RedactionReport } from '../../src/pipeline/frame-report.js';
import { clipBox, objectBox, type MovingObject } from './fixtures/scripted-detector.js';
import { captureLogger, decodeLuma, ffmpeg, SCRIPTED_DETECTOR, SETTINGS, tempDir } from './helpers.js';

const WIDTH = 320;
const HEIGHT = 240;
const FPS = 25;
/** Two white squares crossing a grey frame: one enters from the left edge, one from the top-right corner. */
const OBJECTS: MovingObject[] = [
  { x0: -48, y0: 96, vx: 160, vy: 0, size: 48 },
  { x0: 300, y0: -40, vx: -90, vy: 70, size: 40 },
];

/** A filter graph drawing the objects over a grey background, positions evaluated per frame. */
function movingObjectsGraph(): string {
  const parts = [`color=c=0x808080:s=${WIDTH}x${HEIGHT}:r=${FPS}:d=3[bg0]`];
  OBJECTS.forEach((o, i) => {
    parts.push(`color=c=white:s=${o.size}x${o.size}:r=${FPS}[o${i}]`);
    const out = i === OBJECTS.length - 1 ? '' : `[bg${i + 1}]`;
    parts.push(`[bg${i}][o${i}]overlay=x='${o.x0}+${o.vx}*t':y='${o.y0}+${o.vy}*t':eval=frame:shortest=1${out}`);
  });
  return parts.join(';');
}

function contains(outer: { x: number; y: number; w: number; h: number }, inner: { x: number; y: number; w: number; h: number }): boolean {
  return outer.x <= inner.x + 0.5 && outer.y <= inner.y + 0.5 && outer.x + outer.w >= inner.x + inner.w - 0.5 && outer.y + outer.h >= inner.y + inner.h - 0.5;
}

describe('temporal coverage (requirement A3)', () => {
  const dir = tempDir();
  const clip = join(dir, 'moving.mp4');
  const output = join(dir, 'moving.redacted.mp4');
  let redactor: FileRedactor;
  let report: RedactionReport;

  beforeAll(async () => {
    ffmpeg(['-filter_complex', movingObjectsGraph(), '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', clip]);
    redactor = await createFileRedactor({
      // The detector sees the ground truth only on every 6th frame and only when ≥ 60 % of an object is inside.
      detector: { kind: 'module', module: SCRIPTED_DETECTOR, options: { objects: OBJECTS, everyN: 6, minVisible: 0.6 } },
      settings: SETTINGS,
      style: 'fill',
      classes: ['face'],
      logger: captureLogger().logger,
    });
    report = await redactor.redactFile(clip, { outputPath: output });
  });

  afterAll(async () => {
    await redactor.close();
  });

  it('covers every visible part of every object in every frame, per the report', () => {
    expect(report.frameCount).toBe(75);
    let visibleFrames = 0;
    for (const frame of report.frames) {
      for (const object of OBJECTS) {
        const visible = clipBox(objectBox(object, frame.ptsMs), WIDTH, HEIGHT);
        if (!visible) continue;
        visibleFrames += 1;
        expect(frame.regions.some((region) => contains(region, visible)), `frame ${frame.index} object at ${JSON.stringify(visible)}`).toBe(true);
      }
    }
    expect(visibleFrames).toBeGreaterThan(100);
  });

  it('back-fills frames before the first detection and tracks between detections', () => {
    const sources = new Set(report.frames.flatMap((frame) => frame.regions.map((region) => region.source)));
    expect(sources).toEqual(new Set(['detector', 'track', 'lookahead']));
    // The first object is partly visible from frame 1 but first detected only once 60 % of it is inside.
    const firstDetected = report.frames.find((frame) => frame.regions.some((r) => r.source === 'detector' && r.x === 0))?.index ?? -1;
    expect(firstDetected).toBeGreaterThan(1);
    expect(report.frames[1]?.regions.some((r) => r.source === 'lookahead' && r.x === 0)).toBe(true);
  });

  it('leaves no pixel of the objects in the encoded output', () => {
    const original = decodeLuma(clip, WIDTH, HEIGHT);
    const objectPixels = original.reduce((sum, luma) => sum + luma.reduce((count, value) => count + (value > 200 ? 1 : 0), 0), 0);
    expect(objectPixels).toBeGreaterThan(50_000);
    const frames = decodeLuma(output, WIDTH, HEIGHT);
    expect(frames).toHaveLength(75);
    frames.forEach((luma, index) => {
      const bright = luma.reduce((count, value) => count + (value > 200 ? 1 : 0), 0);
      expect(bright, `frame ${index}`).toBe(0);
    });
  });
});
