import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/main.js';
import { ffmpeg, probe, tempDir } from '../pipeline/helpers.js';
import { captureIo } from './capture-io.js';

const EVAL_IMAGE = '../shared/eval/wider_face_street/images/53_Raid_policeraid_53_438.jpg';
/** Ground-truth face of EVAL_IMAGE (labels.json of the evaluation set). */
const EVAL_FACE = { x: 244, y: 32, w: 376, h: 516 };

describe('privacy-gateway redact', () => {
  it('processes every input, prints one line per bad one naming file and reason, and exits non-zero', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=0.4', '-c:v', 'libx264', '-preset', 'ultrafast', good]);
    const empty = join(dir, 'empty.mp4');
    writeFileSync(empty, '');
    const text = join(dir, 'readme.mp4');
    writeFileSync(text, 'just text\n');
    const gif = join(dir, 'anim.gif');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=5:d=0.4', gif]);
    const { io: streams, text: output } = captureIo();
    const report = join(dir, 'report.json');
    const code = await runCli(['redact', join(dir, 'missing.mp4'), empty, text, gif, good, '--out-dir', join(dir, 'out'), '--profile', 'none', '--report', report], streams);
    expect(code).toBe(1);
    const lines = output.err.trim().split('\n');
    expect(lines).toEqual([
      'redact: missing.mp4: file not found',
      'redact: empty.mp4: file is empty (0 bytes)',
      expect.stringMatching(/^redact: readme\.mp4: not a readable image or video \(.+\)$/),
      "redact: anim.gif: unsupported image format 'gif' (supported: JPEG, PNG)",
    ]);
    expect(output.out).toContain(`${good} -> ${join(dir, 'out', 'good.redacted.mp4')} (10 frames)`);
    expect(Number(probe(join(dir, 'out', 'good.redacted.mp4')).streams[0]!.nb_frames)).toBe(10);
    const written = JSON.parse(readFileSync(report, 'utf8'));
    expect(written.reports).toHaveLength(1);
    expect(written.errors).toHaveLength(4);
  });

  it('redacts a real face with the live-profile model and reports it in input pixels', async () => {
    const dir = tempDir();
    const { io: streams, text } = captureIo();
    const report = join(dir, 'report.json');
    const code = await runCli(['redact', EVAL_IMAGE, '--out-dir', dir, '--profile', 'live', '--style', 'fill', '--report', report], streams);
    expect(text.err).toBe('');
    expect(code).toBe(0);
    const [result] = JSON.parse(readFileSync(report, 'utf8')).reports;
    expect(result).toMatchObject({ kind: 'image', width: 1024, height: 581, frameCount: 1, failClosedFrames: 0, detector: { id: 'live' } });
    const faces = result.frames[0].regions.filter((r: { class: string; source: string }) => r.class === 'face' && r.source === 'detector');
    expect(faces.length).toBeGreaterThanOrEqual(1);
    const covered = faces.some((r: { x: number; y: number; w: number; h: number }) => {
      const ix = Math.max(0, Math.min(r.x + r.w, EVAL_FACE.x + EVAL_FACE.w) - Math.max(r.x, EVAL_FACE.x));
      const iy = Math.max(0, Math.min(r.y + r.h, EVAL_FACE.y + EVAL_FACE.h) - Math.max(r.y, EVAL_FACE.y));
      return (ix * iy) / (EVAL_FACE.w * EVAL_FACE.h) >= 0.9;
    });
    expect(covered).toBe(true);
    expect(probe(join(dir, '53_Raid_policeraid_53_438.redacted.jpg')).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 1024, height: 581 });
  });

  it('rejects bad flags with a usage error', async () => {
    const { io: streams, text } = captureIo();
    expect(await runCli(['redact', 'x.mp4', '--out-dir', tempDir(), '--style', 'swirl'], streams)).toBe(1);
    expect(text.err).toContain('--style must be one of pixelate, blur, fill');
    expect(await runCli(['redact', 'x.mp4'], streams)).toBe(1);
    expect(text.err).toContain('usage: privacy-gateway redact');
  });
});
