/**
 * Frame-loop benchmark (`npm run bench [-- --json] [-- --seconds N]`): generates 1080p25 and 720p25 H.264 clips,
 * then in the same run times plain ffmpeg (decode + the same libx264 settings), `redact` with detection
 * disabled and `redact` with the live-profile detector at 10 analysed fps. Figures are ratios against
 * ffmpeg measured in the same run, so they compare across machines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { mediaTools } from '../src/media/media-tools.js';
import { createFileRedactor, type FileLoopSettings } from '../src/pipeline/file-redactor.js';
import { redactRegion, type YuvFrame } from '../src/redact/region-ops.js';
import { createLogger } from '../src/shared/logger.js';
import type { DetectorSpec } from '../src/vision/registry.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, seconds: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const tools = mediaTools();
const config = loadConfig();
const settings: FileLoopSettings = { ...config.pipeline, analysisFps: 10 };
const logger = createLogger({ level: 'warn' }, process.stderr);
const workDir = join(tmpdir(), 'pgw-bench');
mkdirSync(workDir, { recursive: true });

function clip(width: number, height: number): string {
  const path = join(workDir, `clip-${height}p25-${seconds}s.mp4`);
  if (!existsSync(path)) {
    execFileSync(tools.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}:r=25:d=${seconds}`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', path]);
  }
  return path;
}

function plainFfmpegFps(input: string, frames: number): number {
  const started = performance.now();
  const result = spawnSync(tools.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', '0:v:0', '-an', '-c:v', 'libx264', '-preset', settings.encoderPreset, '-crf', String(settings.encoderCrf), '-pix_fmt', 'yuv420p', '-f', 'mp4', join(workDir, 'plain.mp4')]);
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${String(result.stderr)}`);
  return frames / ((performance.now() - started) / 1000);
}

async function gatewayRun(input: string, detector: DetectorSpec): Promise<{ fps: number; wallS: number; frames: number; redactMs: number }> {
  const redactor = await createFileRedactor({ detector, settings, style: 'pixelate', classes: ['face', 'plate'], logger });
  let redactMs = 0;
  try {
    const started = performance.now();
    const report = await redactor.redactFile(input, { outputPath: join(workDir, 'gateway.mp4'), onRedactTiming: (ms) => (redactMs += ms) });
    const wallS = (performance.now() - started) / 1000;
    return { fps: report.frameCount / wallS, wallS, frames: report.frameCount, redactMs: redactMs / report.frameCount };
  } finally {
    await redactor.close();
  }
}

/** The redaction step alone: ten 120×120 pixelated regions on a 1080p frame (DESIGN.md §6 reference load). */
function redactionStepMs(): number {
  const frame: YuvFrame = { data: new Uint8Array(1920 * 1080 * 1.5), width: 1920, height: 1080 };
  for (let i = 0; i < frame.data.length; i += 1) frame.data[i] = (i * 31) & 0xff;
  const regions = Array.from({ length: 10 }, (_, i) => ({ x: 100 + i * 170, y: 200 + (i % 3) * 250, w: 120, h: 120 }));
  const iterations = 300;
  for (let i = 0; i < 30; i += 1) for (const r of regions) redactRegion(frame, r, 'pixelate');
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) for (const r of regions) redactRegion(frame, r, 'pixelate');
  return (performance.now() - started) / iterations;
}

const live: DetectorSpec = { kind: 'profile', profile: 'live', modelsDir: config.pipeline.modelsDir, classes: ['face', 'plate'] };
const clip1080 = clip(1920, 1080);
const clip720 = clip(1280, 720);
const frames = seconds * 25;

const ffmpeg1080 = plainFfmpegFps(clip1080, frames);
const none1080 = await gatewayRun(clip1080, { kind: 'none' });
const ffmpeg720 = plainFfmpegFps(clip720, frames);
const none720 = await gatewayRun(clip720, { kind: 'none' });
const detect1080 = await gatewayRun(clip1080, live);
const stepMs = redactionStepMs();

const result = {
  clip_seconds: seconds,
  encoder_preset: settings.encoderPreset,
  ffmpeg: tools.ffmpeg,
  ffmpeg_fps_1080p: Number(ffmpeg1080.toFixed(1)),
  gateway_fps_nodetect_1080p: Number(none1080.fps.toFixed(1)),
  overhead_ratio_1080p: Number((none1080.fps / ffmpeg1080).toFixed(3)),
  ffmpeg_fps_720p: Number(ffmpeg720.toFixed(1)),
  gateway_fps_nodetect_720p: Number(none720.fps.toFixed(1)),
  overhead_ratio_720p: Number((none720.fps / ffmpeg720).toFixed(3)),
  gateway_fps_live_1080p: Number(detect1080.fps.toFixed(1)),
  realtime_factor_1080p: Number((seconds / detect1080.wallS).toFixed(2)),
  redact_ms_per_frame_1080p: Number(stepMs.toFixed(3)),
  loop_redact_ms_per_frame_1080p: Number(detect1080.redactMs.toFixed(3)),
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
};

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const rows: [string, string, string][] = [
    ['overhead_ratio_1080p', String(result.overhead_ratio_1080p), '≥ 0.7'],
    ['overhead_ratio_720p', String(result.overhead_ratio_720p), '≥ 0.7'],
    ['realtime_factor_1080p', String(result.realtime_factor_1080p), '≥ 2'],
    ['redact_ms_per_frame_1080p', String(result.redact_ms_per_frame_1080p), '≤ 2'],
    ['peak_rss_mb', String(result.peak_rss_mb), '≤ 600'],
  ];
  process.stdout.write(`clip ${seconds}s, libx264 ${result.encoder_preset}, ${result.ffmpeg}\n`);
  process.stdout.write(`1080p fps: ffmpeg ${result.ffmpeg_fps_1080p}, gateway ${result.gateway_fps_nodetect_1080p} (no detection), ${result.gateway_fps_live_1080p} (live detector, 10 analysed fps)\n`);
  process.stdout.write(`720p fps:  ffmpeg ${result.ffmpeg_fps_720p}, gateway ${result.gateway_fps_nodetect_720p} (no detection)\n\n`);
  for (const [name, value, target] of [['metric', 'value', 'target'] as [string, string, string], ...rows]) {
    process.stdout.write(`${name.padEnd(28)}${value.padEnd(10)}${target}\n`);
  }
}
