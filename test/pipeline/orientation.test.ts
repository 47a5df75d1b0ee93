import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraInput, probeCamera } from '../../src/pipeline/camera-source.js';
import { createFileRedactor, type FileRedactor } from '../../src/pipeline/file-redactor.js';
import { captureLogger, decodeLuma, ffmpeg, probe, SETTINGS, tempDir, tools } from './helpers.js';

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

/**
 * Phones and body-worn cameras held sideways store their pictures sideways and say so in metadata. Read with the
 * stored size, an upright decode is scrambled: its rows are the unredacted picture at the wrong stride, which
 * a detector cannot read and anyone can undo. Output must be the upright picture.
 */
describe('pictures stored sideways come out upright', () => {
  const dir = tempDir();
  let redactor: FileRedactor;

  beforeAll(async () => {
    redactor = await createFileRedactor({ detector: { kind: 'none' }, settings: SETTINGS, style: 'pixelate', classes: ['face'], logger: captureLogger().logger });
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=0.6', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', join(dir, 'plain.mp4')]);
  });

  afterAll(async () => {
    await redactor.close();
  });

  it.each([
    [90, 240, 320],
    [270, 240, 320],
    [180, 320, 240],
  ])('video with a %i° display matrix', async (rotate, width, height) => {
    const input = join(dir, `rotate${rotate}.mp4`);
    ffmpeg(['-i', join(dir, 'plain.mp4'), '-c', 'copy', '-metadata:s:v:0', `rotate=${rotate}`, input]);
    const output = join(dir, `rotate${rotate}.out.mp4`);
    const report = await redactor.redactFile(input, { outputPath: output });
    expect(report).toMatchObject({ width, height, frameCount: 15 });
    expect(probe(output).streams[0]).toMatchObject({ width, height });
    const upright = decodeLuma(input, width, height);
    const redacted = decodeLuma(output, width, height);
    expect(redacted).toHaveLength(15);
    expect(meanAbsDiff(redacted[7] as Buffer, upright[7] as Buffer)).toBeLessThan(3);
  });

  it('probes a sideways camera file source at its upright size, the size its decoder reports', async () => {
    const input = join(dir, 'camera90.mp4');
    ffmpeg(['-i', join(dir, 'plain.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', input]);
    const info = await probeCamera(tools, cameraInput(input, 5000), 10_000);
    expect(info.size).toEqual({ width: 240, height: 320 });
    expect(info.pixelAspect).toBeUndefined();
  });

  it('probes a camera\'s non-square pixel aspect (turned with the picture), for its segments\' encoder', async () => {
    const input = join(dir, 'camera-pal.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=704x576:r=25:d=0.2', '-vf', 'setsar=12/11', '-c:v', 'libx264', '-preset', 'ultrafast', input]);
    expect(await probeCamera(tools, cameraInput(input, 5000), 10_000)).toMatchObject({ size: { width: 704, height: 576 }, pixelAspect: '12/11' });
    const turned = join(dir, 'camera-pal-turned.mp4');
    ffmpeg(['-i', input, '-c', 'copy', '-metadata:s:v:0', 'rotate=270', turned]);
    expect(await probeCamera(tools, cameraInput(turned, 5000), 10_000)).toMatchObject({ size: { width: 576, height: 704 }, pixelAspect: '11/12' });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('JPEG with EXIF orientation %i', async (orientation) => {
    const input = join(dir, `exif${orientation}.jpg`);
    await sharp({ create: { width: 161, height: 121, channels: 3, background: '#000' } })
      .composite([{ input: Buffer.from('<svg width="161" height="121"><rect x="0" y="0" width="60" height="30" fill="#fff"/><rect x="120" y="90" width="41" height="31" fill="#888"/></svg>') }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation })
      .toFile(input);
    const expected = await sharp(input).rotate().greyscale().raw().toBuffer({ resolveWithObject: true });
    const output = join(dir, `exif${orientation}.out.png`);
    const report = await redactor.redactFile(input, { outputPath: output });
    expect(report).toMatchObject({ kind: 'image', width: expected.info.width, height: expected.info.height });
    const actual = await sharp(output).greyscale().raw().toBuffer();
    expect(meanAbsDiff(actual, expected.data)).toBeLessThan(4);
  });
});
