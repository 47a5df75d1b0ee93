import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipheriv } from 'node:crypto';
import { fileKeyOf, readDecrypted } from '../../src/media/encrypted-file.js';
import { createFileRedactor, type FileRedactor } from '../../src/pipeline/file-redactor.js';
import { captureLogger, decodeLuma, ffmpeg, probe, SETTINGS, tempDir } from './helpers.js';

/** Tags every MP4 carries for its structure (brands, handler, sample description); none describes the recording. */
const STRUCTURAL_TAGS: Record<string, string> = {
  major_brand: 'isom',
  minor_version: '512',
  compatible_brands: 'isomiso2avc1mp41',
  language: 'und',
  handler_name: 'VideoHandler',
  vendor_id: '[0][0][0][0]',
  encoder: 'Lavc libx264',
};

function identifyingTags(tags: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).filter(([key, value]) => STRUCTURAL_TAGS[key] !== value));
}

describe('file redaction through the frame loop', () => {
  const dir = tempDir();
  let redactor: FileRedactor;

  beforeAll(async () => {
    redactor = await createFileRedactor({ detector: { kind: 'none' }, settings: SETTINGS, style: 'pixelate', classes: ['face'], logger: captureLogger().logger });
  });

  afterAll(async () => {
    await redactor.close();
  });

  it('keeps frame count, frame rate and duration of constant-frame-rate video and strips audio and metadata (A5)', async () => {
    const input = join(dir, 'cfr.mkv');
    ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30000/1001:d=2', '-f', 'lavfi', '-i', 'sine=f=440:d=2',
      '-metadata', 'title=Camera 7 Main St', '-metadata', 'creation_time=2026-01-01T10:00:00Z', '-metadata', 'location=+52.5200+013.4050/',
      '-metadata:s:v', 'comment=serial 123456', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', input,
    ]);
    const output = join(dir, 'cfr.mp4');
    const report = await redactor.redactFile(input, { outputPath: output });
    const info = probe(output);
    expect(info.streams.map((s) => s.codec_type)).toEqual(['video']);
    const video = info.streams[0]!;
    expect(video.codec_name).toBe('h264');
    expect(video.r_frame_rate).toBe('30000/1001');
    expect(Number(video.nb_frames)).toBe(60);
    expect(report.frameCount).toBe(60);
    expect(Math.abs(Number(info.format.duration) - 60 / (30000 / 1001))).toBeLessThan(1 / 29.97);
    expect(identifyingTags(info.format.tags)).toEqual({});
    expect(identifyingTags(video.tags)).toEqual({});
    // No SEI user data: x264 writes its settings banner in an SEI unit, removed from the bitstream.
    expect(readFileSync(output).includes(Buffer.from('x264 - core'))).toBe(false);
  });

  it('drops the soundtrack of real footage (Megamind.avi) and keeps its 270 frames', async () => {
    const output = join(dir, 'megamind.mp4');
    const report = await redactor.redactFile('../shared/media/Megamind.avi', { outputPath: output });
    const info = probe(output);
    expect(info.streams.map((s) => s.codec_type)).toEqual(['video']);
    expect(Number(info.streams[0]!.nb_frames)).toBe(270);
    expect(report).toMatchObject({ kind: 'video', width: 720, height: 528, frameCount: 270, failClosedFrames: 0 });
  });

  it('keeps the duration of variable-frame-rate video (resampled to its average rate)', async () => {
    const input = join(dir, 'vfr.mp4');
    // 30 frames at 30 fps, then 30 frames at 15 fps: 3 s, average 20 fps.
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30:d=2', '-vf', "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', input]);
    const source = probe(input);
    expect(source.streams[0]!.r_frame_rate).not.toBe(source.streams[0]!.avg_frame_rate);
    const output = join(dir, 'vfr.out.mp4');
    const report = await redactor.redactFile(input, { outputPath: output });
    const duration = Number(probe(output).format.duration);
    const fps = report.fps ?? 0;
    expect(Math.abs(duration - Number(source.format.duration))).toBeLessThanOrEqual(1 / fps + 1e-3);
  });

  it('crops odd-sized video to even (H.264 needs it) and keeps odd-sized images exact', async () => {
    const video = join(dir, 'odd.mkv');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=162x122:r=25:d=0.4', '-vf', 'format=rgb24,crop=161:121:0:0', '-c:v', 'ffv1', video]);
    const videoReport = await redactor.redactFile(video, { outputPath: join(dir, 'odd.mp4') });
    expect(videoReport).toMatchObject({ width: 160, height: 120, frameCount: 10 });
    const image = join(dir, 'odd.png');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=162x122', '-vf', 'format=rgb24,crop=161:121:0:0', '-frames:v', '1', image]);
    const imageOut = join(dir, 'odd.redacted.png');
    const imageReport = await redactor.redactFile(image, { outputPath: imageOut });
    expect(imageReport).toMatchObject({ kind: 'image', width: 161, height: 121, frameCount: 1 });
    expect(probe(imageOut).streams[0]).toMatchObject({ codec_name: 'png', width: 161, height: 121 });
  });

  it('keeps the display aspect of anamorphic video, also turned a quarter', async () => {
    const input = join(dir, 'pal.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=720x576:r=25:d=0.4', '-vf', 'setsar=16/15', '-c:v', 'libx264', '-preset', 'ultrafast', input]);
    await redactor.redactFile(input, { outputPath: join(dir, 'pal.out.mp4') });
    expect(probe(join(dir, 'pal.out.mp4')).streams[0]).toMatchObject({ width: 720, height: 576, sample_aspect_ratio: '16:15', display_aspect_ratio: '4:3' });
    const turned = join(dir, 'pal-turned.mp4');
    ffmpeg(['-i', input, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', turned]);
    await redactor.redactFile(turned, { outputPath: join(dir, 'pal-turned.out.mp4') });
    expect(probe(join(dir, 'pal-turned.out.mp4')).streams[0]).toMatchObject({ width: 576, height: 720, sample_aspect_ratio: '15:16', display_aspect_ratio: '3:4' });
  });

  it('reads the video, never the cover picture, and says so for audio with only a cover', async () => {
    const cover = join(dir, 'cover.jpg');
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=64x64', '-frames:v', '1', cover]);
    const clip = join(dir, 'clip.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=0.4', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
    const withCover = join(dir, 'with-cover.mp4');
    ffmpeg(['-i', clip, '-i', cover, '-map', '0', '-map', '1', '-c', 'copy', '-disposition:v:1', 'attached_pic', withCover]);
    expect(await redactor.redactFile(withCover, { outputPath: join(dir, 'with-cover.out.mp4') })).toMatchObject({ kind: 'video', width: 320, height: 240, frameCount: 10 });
    const song = join(dir, 'song.mp3');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=d=1', '-i', cover, '-map', '0', '-map', '1', '-c:a', 'libmp3lame', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic', song]);
    await expect(redactor.redactFile(song, { outputPath: join(dir, 'song.mp4') })).rejects.toThrow(/song\.mp3: contains no video stream \(only an attached cover picture\)/);
  });

  it('deinterlaces interlaced video (combing gone, every frame kept)', async () => {
    const input = join(dir, 'interlaced.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=50:d=0.8', '-vf', 'tinterlace=mode=interleave_top,setfield=tff', '-c:v', 'libx264', '-preset', 'ultrafast', '-flags', '+ildct+ilme', '-x264-params', 'tff=1', input]);
    const output = join(dir, 'interlaced.out.mp4');
    await redactor.redactFile(input, { outputPath: output });
    expect(Number(probe(output).streams[0]!.nb_frames)).toBe(20);
    // Combing: how far each row lies from the mean of its neighbours (rows from different fields disagree).
    const combing = (frames: Buffer[]): number => {
      let sum = 0;
      for (const frame of frames) for (let i = 320; i < frame.length - 320; i++) sum += Math.abs((frame[i] ?? 0) - ((frame[i - 320] ?? 0) + (frame[i + 320] ?? 0)) / 2);
      return sum / frames.length;
    };
    const progressive = join(dir, 'progressive.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=0.8', '-c:v', 'libx264', '-preset', 'ultrafast', progressive]);
    const reference = combing(decodeLuma(progressive, 320, 240));
    expect(combing(decodeLuma(input, 320, 240))).toBeGreaterThan(1.5 * reference);
    expect(combing(decodeLuma(output, 320, 240))).toBeLessThan(1.1 * reference);
  });

  it('analyses without encoding when no output path is given', async () => {
    const input = join(dir, 'still.jpg');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240', '-frames:v', '1', input]);
    const report = await redactor.redactFile(input);
    expect(report).toMatchObject({ kind: 'image', frameCount: 1, detector: { id: 'none', models: [] } });
    expect(report.frames).toEqual([{ index: 0, ptsMs: 0, regions: [] }]);
  });

  it.each([
    ['missing.mp4', null, /missing\.mp4: file not found/],
    ['empty.mp4', Buffer.alloc(0), /empty\.mp4: file is empty/],
    ['notes.mp4', Buffer.from('meeting notes, not a video\n'), /notes\.mp4: not a readable image or video/],
  ])('rejects %s with a one-line reason naming the file', async (name, content, reason) => {
    const path = join(dir, name);
    if (content) writeFileSync(path, content);
    await expect(redactor.redactFile(path, { outputPath: join(dir, `${name}.out.mp4`) })).rejects.toThrow(reason);
  });

  it('rejects truncated video (cut MP4 index; cut Matroska stream) and leaves no partial output', async () => {
    const full = join(dir, 'full.mkv');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=4', '-c:v', 'libx264', '-preset', 'ultrafast', full]);
    const fullMp4 = join(dir, 'full.mp4');
    ffmpeg(['-i', full, '-c', 'copy', fullMp4]);
    const cutMp4 = join(dir, 'cut.mp4');
    writeFileSync(cutMp4, readFileSync(fullMp4).subarray(0, 20_000));
    await expect(redactor.redactFile(cutMp4, { outputPath: join(dir, 'cut.out.mp4') })).rejects.toThrow(/cut\.mp4: truncated or incomplete video/);
    const cutMkv = join(dir, 'cut.mkv');
    const bytes = readFileSync(full);
    writeFileSync(cutMkv, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const out = join(dir, 'cut-mkv.out.mp4');
    await expect(redactor.redactFile(cutMkv, { outputPath: out })).rejects.toThrow(/cut\.mkv: truncated or corrupt video \(decoded \d+ of 100 frames\)/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('stops a file when cancelled: rejects, writes nothing, and the redactor serves the next file', async () => {
    const input = join(dir, 'long.mkv');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=20', '-c:v', 'libx264', '-preset', 'ultrafast', input]);
    const out = join(dir, 'long.out.mp4');
    const controller = new AbortController();
    let done = 0;
    const redacting = redactor.redactFile(input, {
      outputPath: out,
      signal: controller.signal,
      onProgress: (frames) => {
        done = frames;
        if (frames === 25) controller.abort();
      },
    });
    await expect(redacting).rejects.toThrow('long.mkv: redaction cancelled');
    expect(done).toBeLessThan(500);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    await expect(redactor.redactFile(input, { outputPath: out, signal: controller.signal })).rejects.toThrow('redaction cancelled');
    expect((await redactor.redactFile(input, { outputPath: out })).frameCount).toBe(500);
  });

  it('fails a file whose output cannot be written (disk full) with the encoder\'s reason, instead of waiting for ever', async () => {
    const input = join(dir, 'for-full-disk.mkv');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=640x480:r=25:d=8', '-c:v', 'libx264', '-preset', 'ultrafast', input]);
    const out = join(dir, 'full-disk.out.mp4');
    // The encoder writes `<out>.partial`; pointed at /dev/full, every write fails with ENOSPC.
    symlinkSync('/dev/full', `${out}.partial`);
    const started = Date.now();
    const failure = await redactor.redactFile(input, { outputPath: out }).then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PGW_ERR_OUTPUT', message: expect.stringMatching(/^for-full-disk\.mkv: encoder failed \(.*No space left on device/) as unknown });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect((await redactor.redactFile(input, { outputPath: out })).frameCount).toBe(200);
  });

  it('redacts an input encrypted at rest (MP4 index at the end: ffmpeg seeks through the decryption)', async () => {
    const plain = join(dir, 'index-last.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=3', '-c:v', 'libx264', '-preset', 'ultrafast', plain]);
    // A fixed key keeps the ciphertext, and so what ffprobe makes of it without the key, the same at every run: under
    // random keys it took 11 of 1 500 ciphertexts for a stream without a picture and 2 for H.263 with one, which decodes.
    const fileKey = fileKeyOf(Buffer.from('a5'.repeat(16) + '3c'.repeat(16), 'hex'));
    const cipher = createCipheriv('aes-128-cbc', fileKey.key, fileKey.iv);
    const sealed = join(dir, 'index-last.enc');
    writeFileSync(sealed, Buffer.concat([cipher.update(readFileSync(plain)), cipher.final()]));
    expect((await readDecrypted(sealed, fileKey)).equals(readFileSync(plain))).toBe(true);
    const fromSealed = join(dir, 'from-sealed.mp4');
    const fromPlain = join(dir, 'from-plain.mp4');
    expect((await redactor.redactFile(sealed, { outputPath: fromSealed, fileKey })).frameCount).toBe(75);
    await redactor.redactFile(plain, { outputPath: fromPlain });
    const sealedFrames = decodeLuma(fromSealed, 320, 240);
    expect(sealedFrames).toHaveLength(75);
    expect(sealedFrames).toEqual(decodeLuma(fromPlain, 320, 240));
    // Without its key the file is noise: ffprobe finds no format in it, or one without a picture.
    await expect(redactor.redactFile(sealed, { outputPath: join(dir, 'no-key.mp4') })).rejects.toMatchObject({
      code: 'PGW_ERR_INPUT_INVALID',
      message: expect.stringMatching(/^index-last\.enc: (not a readable image or video|contains no video stream or image)/) as unknown,
    });
    expect(existsSync(join(dir, 'no-key.mp4'))).toBe(false);
  });

  it('rejects image formats other than JPEG and PNG', async () => {
    const bmp = join(dir, 'frame.bmp');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48', '-frames:v', '1', bmp]);
    await expect(redactor.redactFile(bmp, { outputPath: join(dir, 'frame.out.jpg') })).rejects.toThrow(/frame\.bmp: unsupported image format 'bmp' \(supported: JPEG, PNG\)/);
  });
});
