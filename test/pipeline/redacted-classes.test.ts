import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileRedactor, type FileRedactor } from '../../src/pipeline/file-redactor.js';
import type { ObjectClass } from '../../src/vision/detector.js';
import type { MovingObject } from './fixtures/scripted-detector.js';
import { captureLogger, ffmpeg, SCRIPTED_DETECTOR, SETTINGS, tempDir } from './helpers.js';

/** One still object of each class a detector reports, side by side. */
const OBJECTS: MovingObject[] = [
  { x0: 10, y0: 10, vx: 0, vy: 0, size: 30, cls: 'face' },
  { x0: 60, y0: 10, vx: 0, vy: 0, size: 30, cls: 'head' },
  { x0: 110, y0: 10, vx: 0, vy: 0, size: 30, cls: 'person' },
  { x0: 160, y0: 10, vx: 0, vy: 0, size: 30, cls: 'plate' },
  { x0: 210, y0: 10, vx: 0, vy: 0, size: 30, cls: 'vehicle' },
];

describe('classes a redaction job redacts', () => {
  const dir = tempDir();
  const image = join(dir, 'still.png');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240', '-frames:v', '1', image]);
  let redactor: FileRedactor | undefined;

  afterEach(async () => {
    await redactor?.close();
    redactor = undefined;
  });

  async function redactedClasses(classes: ObjectClass[]): Promise<string[]> {
    redactor = await createFileRedactor({
      detector: { kind: 'module', module: SCRIPTED_DETECTOR, options: { objects: OBJECTS } },
      settings: SETTINGS,
      style: 'pixelate',
      classes,
      logger: captureLogger().logger,
    });
    const report = await redactor.redactFile(image, { outputPath: join(dir, `still-${classes.join('-')}.png`) });
    return (report.frames[0]?.regions ?? []).map((r) => r.class).sort();
  }

  it('redacts the head found from a person with the faces (head fallback), never the person or vehicle box', async () => {
    expect(await redactedClasses(['face'])).toEqual(['face', 'head']);
  });

  it('redacts only plates for a plate job, and faces, heads and plates for both', async () => {
    expect(await redactedClasses(['plate'])).toEqual(['plate']);
    await redactor?.close();
    expect(await redactedClasses(['face', 'plate'])).toEqual(['face', 'head', 'plate']);
  });
});
