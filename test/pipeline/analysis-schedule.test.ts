import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isScheduledForAnalysis, nextScheduledIndex, scheduleSelectExpression } from '../../src/pipeline/analysis-schedule.js';
import { createFileRedactor, type FileRedactor } from '../../src/pipeline/file-redactor.js';
import { objectBox, type MovingObject } from './fixtures/scripted-detector.js';
import { captureLogger, ffmpeg, SCRIPTED_DETECTOR, SETTINGS, tempDir } from './helpers.js';

const WIDTH = 160;
const HEIGHT = 96;
/** A white square crossing a black frame at 70 px/s, in view from frame 1 to the end: a frame off is 2.3–2.8 px off. */
const OBJECT: MovingObject = { x0: -24, y0: 30, vx: 70, vy: 0, size: 24 };

/** A 2 s clip at `rate`, lossless, the square drawn at its position in video time. */
function movingSquare(path: string, rate: string): void {
  const graph = `color=c=black:s=${WIDTH}x${HEIGHT}:r=${rate}:d=2[bg];color=c=white:s=${OBJECT.size}x${OBJECT.size}:r=${rate}[o];[bg][o]overlay=x='${OBJECT.x0}+${OBJECT.vx}*t':y=${OBJECT.y0}:eval=frame:format=rgb:shortest=1`;
  ffmpeg(['-filter_complex', graph, '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', path]);
}

describe('offline analysis schedule', () => {
  it('names the next analysed frame, and selects nothing in the decoder when every frame is analysed', () => {
    expect(nextScheduledIndex(3, 25, 10)).toBe(5);
    expect(nextScheduledIndex(5, 25, 10)).toBe(8);
    expect(nextScheduledIndex(4, 25, 'all')).toBe(5);
    expect(scheduleSelectExpression(25, 'all')).toBeUndefined();
    expect(scheduleSelectExpression(10, 10)).toBeUndefined();
  });

  describe.each([
    { rate: '25', fps: 25, analysisFps: 10 },
    { rate: '30000/1001', fps: 30000 / 1001, analysisFps: 7 },
  ])('the decoder sends only the scheduled frames ($rate fps, $analysisFps analysed per second)', ({ rate, fps, analysisFps }) => {
    const dir = tempDir();
    const clip = join(dir, 'square.mp4');
    let redactor: FileRedactor;

    beforeAll(async () => {
      movingSquare(clip, rate);
      redactor = await createFileRedactor({
        detector: { kind: 'module', module: SCRIPTED_DETECTOR, options: { locate: true } },
        settings: { ...SETTINGS, analysisFps },
        style: 'fill',
        classes: ['face'],
        logger: captureLogger().logger,
      });
    });

    afterAll(async () => {
      await redactor.close();
    });

    it('and each analysis sees the frame it is reported for', async () => {
      const report = await redactor.redactFile(clip);
      const analysed = report.frames.filter((frame) => frame.regions.some((region) => region.source === 'detector'));
      const scheduled = report.frames.filter((frame) => isScheduledForAnalysis(frame.index, fps, analysisFps));
      expect(analysed.map((frame) => frame.index)).toEqual(scheduled.map((frame) => frame.index).filter((index) => analysed.some((frame) => frame.index === index)));
      // The square is in view from frame 1 to the end: every scheduled frame but the first shows it.
      expect(analysed.length).toBe(scheduled.length - 1);
      for (const frame of analysed) {
        const found = frame.regions.find((region) => region.source === 'detector');
        const truth = objectBox(OBJECT, frame.ptsMs);
        const visibleLeft = Math.max(0, truth.x);
        expect(Math.abs((found?.x ?? -99) - visibleLeft), `frame ${frame.index}`).toBeLessThanOrEqual(1);
        expect(Math.abs((found?.x ?? 0) + (found?.w ?? 0) - Math.min(WIDTH, truth.x + truth.w)), `frame ${frame.index}`).toBeLessThanOrEqual(1);
      }
    });
  });
});
