import { describe, expect, it } from 'vitest';
import { decoderArgs, encoderArgs, yuv420pFrameBytes } from '../../src/media/ffmpeg-args.js';
import { probeFailureReason } from '../../src/media/media-probe.js';
import { isScheduledForAnalysis } from '../../src/pipeline/analysis-schedule.js';

describe('decoderArgs', () => {
  it('splits one decode into frame-aligned yuv420p (stdout) and rgb24 (fd 3) outputs', () => {
    const args = decoderArgs({ input: 'in.mp4', output: { width: 1920, height: 1080 }, crop: false, analysis: { width: 640, height: 360 }, ffmpegMajor: 5 });
    expect(args.join(' ')).toContain('-filter_complex [0:V:0]yadif=deint=interlaced,split=2[full][small];[full]format=yuv420p[yuv];[small]scale=640:360:flags=bilinear,format=rgb24[rgb]');
    expect(args.join(' ')).toContain('-map [yuv] -an -sn -dn -fps_mode passthrough -f rawvideo -pix_fmt yuv420p pipe:1');
    expect(args.join(' ')).toContain('-map [rgb] -an -sn -dn -fps_mode passthrough -f rawvideo -pix_fmt rgb24 pipe:3');
  });

  it('scales and sends only the frames an analysis select picks, on the analysis branch only', () => {
    const args = decoderArgs({ input: 'in.mp4', output: { width: 1920, height: 1080 }, crop: false, analysis: { width: 640, height: 360 }, analysisSelect: 'eq(n,0)', ffmpegMajor: 5 });
    expect(args.join(' ')).toContain("[full]format=yuv420p[yuv];[small]select='eq(n,0)',scale=640:360:flags=bilinear,format=rgb24[rgb]");
  });

  it('resamples variable frame rates, crops odd sizes and speaks -vsync to old ffmpeg', () => {
    const args = decoderArgs({ input: 'in.mp4', output: { width: 640, height: 358 }, crop: true, constantRate: '20/1', ffmpegMajor: 4 });
    expect(args).toEqual(['-hide_banner', '-loglevel', 'error', '-i', 'in.mp4', '-map', '0:V:0', '-vf', 'yadif=deint=interlaced,fps=20/1,crop=640:358:0:0,format=yuv420p', '-an', '-sn', '-dn', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1']);
  });

  it('turns a JPEG upright by its EXIF orientation itself, with ffmpeg\'s autorotation off', () => {
    const args = decoderArgs({ input: 'in.jpg', output: { width: 120, height: 160 }, crop: false, upright: 'transpose=clock', ffmpegMajor: 5 });
    expect(args.slice(3, 6)).toEqual(['-noautorotate', '-i', 'in.jpg']);
    expect(args).toContain('yadif=deint=interlaced,transpose=clock,format=yuv420p');
  });

  it('reads the demo camera in real time from lavfi', () => {
    const args = decoderArgs({ input: 'testsrc2', inputFormat: 'lavfi', realtime: true, output: { width: 320, height: 240 }, crop: false, ffmpegMajor: 5 });
    expect(args.slice(3, 8)).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2']);
  });
});

describe('encoderArgs (requirement A5)', () => {
  it('strips audio, metadata, chapters and SEI from H.264 MP4 output', () => {
    const args = encoderArgs({ kind: 'video', size: { width: 640, height: 360 }, rate: '25/1', output: 'o.mp4', preset: 'veryfast', crf: 23, format: 'mp4' }).join(' ');
    for (const part of ['-map_metadata -1', '-map_chapters -1', '-an -sn -dn', '-fflags +bitexact', 'filter_units=remove_types=6', '-c:v libx264 -preset veryfast -crf 23', '-r 25/1 -i pipe:0', '-f mp4 -y o.mp4']) {
      expect(args).toContain(part);
    }
  });

  it('records a non-square pixel aspect, which raw frames do not carry, and nothing for square pixels', () => {
    const plan = { kind: 'video', size: { width: 720, height: 576 }, rate: '25/1', output: 'o.mp4', preset: 'veryfast', crf: 23 } as const;
    expect(encoderArgs({ ...plan, pixelAspect: '16/15' }).join(' ')).toContain('-vf setsar=16/15 -c:v libx264');
    expect(encoderArgs(plan)).not.toContain('-vf');
  });

  it('writes keyframe-aligned segments for live output', () => {
    const args = encoderArgs({ kind: 'video', size: { width: 640, height: 360 }, rate: '25/1', output: 'seg-%06d.mp4', preset: 'veryfast', crf: 23, segmentSeconds: 10 }).join(' ');
    expect(args).toContain('-force_key_frames expr:gte(t,n_forced*10) -f segment -segment_time 10 -segment_format mp4');
    expect(args).not.toContain('-tune');
    const lowLatency = encoderArgs({ kind: 'video', size: { width: 640, height: 360 }, rate: '25/1', output: 'seg-%06d.mp4', preset: 'veryfast', crf: 23, segmentSeconds: 10, tune: 'zerolatency' }).join(' ');
    expect(lowLatency).toContain('-c:v libx264 -preset veryfast -tune zerolatency -crf 23');
  });

  it.each([['jpeg', 'mjpeg'], ['png', 'png']] as const)('writes one %s frame', (kind, codec) => {
    const args = encoderArgs({ kind, size: { width: 33, height: 17 }, rate: '1/1', output: 'o', preset: 'veryfast', crf: 23 }).join(' ');
    expect(args).toContain(`-frames:v 1 -c:v ${codec}`);
    expect(args).toContain('-map_metadata -1');
  });
});

describe('frame sizes and schedule', () => {
  it.each([
    [{ width: 1920, height: 1080 }, 3_110_400],
    [{ width: 33, height: 17 }, 33 * 17 + 2 * 17 * 9],
  ])('yuv420p %o → %i bytes', (size, bytes) => {
    expect(yuv420pFrameBytes(size)).toBe(bytes);
  });

  it.each([
    [25, 10, [0, 3, 5, 8, 10, 13, 15, 18, 20, 23]],
    [10, 10, Array.from({ length: 25 }, (_, i) => i)],
    [30, 5, [0, 6, 12, 18, 24]],
  ])('at %i fps with %i analysed per second, the first 25 frames analysed are %o', (fps, perSecond, expected) => {
    const chosen = Array.from({ length: 25 }, (_, i) => i).filter((i) => isScheduledForAnalysis(i, fps, perSecond));
    expect(chosen).toEqual(expected.filter((i) => i < 25));
  });

  it.each([
    ['[mov,mp4 @ 0x1] moov atom not found\nx.mp4: Invalid data found when processing input', 'truncated or incomplete video (moov atom not found)'],
    ['x.mp4: Invalid data found when processing input', 'not a readable image or video (Invalid data found when processing input)'],
    ['[mov,mp4 @ 0x1] moov atom not found\nx.mp4: Invalid data found when processing input', 'not a readable image or video (Invalid data found when processing input)', false],
  ])('explains ffprobe failures in one line', (stderr, reason, startsLikeMp4 = true) => {
    expect(probeFailureReason(stderr, 'exit 1', startsLikeMp4)).toBe(reason);
  });
});
