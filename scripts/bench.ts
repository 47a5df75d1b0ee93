/**
 * Frame-loop benchmark (`npm run bench [-- --json] [-- --seconds N]`): generates 1080p25 and 720p25 H.264 clips,
 * then in the same run times plain ffmpeg (decode + the same libx264 settings), `redact` with detection
 * disabled and `redact` with the live-profile detector at 10 analysed fps. Figures are ratios against
 * ffmpeg measured in the same run, so they compare across machines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { mediaTools } from '../src/media/media-tools.js';
import { createFileRedactor, type FileLoopSettings } from '../src/pipeline/file-redactor.js';
import { redactRegion, type YuvFrame } from '../src/redact/region-ops.js';
import { createLogger } from '../src/shared/logger.js';
import { relaunchWithMallocTunables } from '../src/shared/malloc-tunables.js';
import type { DetectorSpec } from '../src/vision/registry.js';

// Measures the gateway as `privacy-gateway redact` runs it: with the detector's malloc settings.
const relaunched = relaunchWithMallocTunables();
if (relaunched) process.exit(await relaunched);

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

/**
 * CPU seconds used so far by this process (all its threads) and its reaped children (the ffmpeg processes),
 * from /proc/self/stat. On a machine shared with other work, CPU time is a steadier measure than wall time.
 */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / 100;
}

interface Timing {
  wallS: number;
  cpuS: number;
}

function plainFfmpeg(input: string): Timing {
  const started = performance.now();
  const cpu = cpuSeconds();
  const result = spawnSync(tools.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-map', '0:v:0', '-an', '-c:v', 'libx264', '-preset', settings.encoderPreset, '-crf', String(settings.encoderCrf), '-pix_fmt', 'yuv420p', '-f', 'mp4', join(workDir, 'plain.mp4')]);
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${String(result.stderr)}`);
  return { wallS: (performance.now() - started) / 1000, cpuS: cpuSeconds() - cpu };
}

async function gatewayRun(input: string, detector: DetectorSpec): Promise<Timing> {
  const redactor = await createFileRedactor({ detector, settings, style: 'pixelate', classes: ['face', 'plate'], logger });
  try {
    const started = performance.now();
    const cpu = cpuSeconds();
    await redactor.redactFile(input, { outputPath: join(workDir, 'gateway.mp4') });
    return { wallS: (performance.now() - started) / 1000, cpuS: cpuSeconds() - cpu };
  } finally {
    await redactor.close();
  }
}

/** The redaction step alone: ten 120×120 pixelated regions on a 1080p frame (DESIGN.md §6 reference load), wall and CPU ms. */
function redactionStep(): { wallMs: number; cpuMs: number } {
  const frame: YuvFrame = { data: new Uint8Array(1920 * 1080 * 1.5), width: 1920, height: 1080 };
  for (let i = 0; i < frame.data.length; i += 1) frame.data[i] = (i * 31) & 0xff;
  const regions = Array.from({ length: 10 }, (_, i) => ({ x: 100 + i * 170, y: 200 + (i % 3) * 250, w: 120, h: 120 }));
  const iterations = 300;
  for (let i = 0; i < 30; i += 1) for (const r of regions) redactRegion(frame, r, 'pixelate');
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) for (const r of regions) redactRegion(frame, r, 'pixelate');
  const used = process.cpuUsage(cpu);
  return { wallMs: (performance.now() - started) / iterations, cpuMs: (used.user + used.system) / 1000 / iterations };
}

const live: DetectorSpec = { kind: 'profile', profile: 'live', modelsDir: config.pipeline.modelsDir, classes: ['face', 'plate'] };
const clip1080 = clip(1920, 1080);
const clip720 = clip(1280, 720);
const frames = seconds * 25;

const ffmpeg1080 = plainFfmpeg(clip1080);
const none1080 = await gatewayRun(clip1080, { kind: 'none' });
const ffmpeg720 = plainFfmpeg(clip720);
const none720 = await gatewayRun(clip720, { kind: 'none' });
const detect1080 = await gatewayRun(clip1080, live);
const step = redactionStep();
const fps = (t: Timing): number => Number((frames / t.wallS).toFixed(1));
const ratio = (a: number, b: number, digits = 3): number => Number((a / b).toFixed(digits));

const result = {
  clip_seconds: seconds,
  encoder_preset: settings.encoderPreset,
  ffmpeg: tools.ffmpeg,
  load_average_1m: Number(loadavg()[0]?.toFixed(1)),
  ffmpeg_fps_1080p: fps(ffmpeg1080),
  gateway_fps_nodetect_1080p: fps(none1080),
  overhead_ratio_1080p: ratio(ffmpeg1080.wallS, none1080.wallS),
  ffmpeg_fps_720p: fps(ffmpeg720),
  gateway_fps_nodetect_720p: fps(none720),
  overhead_ratio_720p: ratio(ffmpeg720.wallS, none720.wallS),
  gateway_fps_live_1080p: fps(detect1080),
  realtime_factor_1080p: ratio(seconds, detect1080.wallS, 2),
  redact_ms_per_frame_1080p: Number(step.wallMs.toFixed(3)),
  // The same figures from CPU time (gateway process + its ffmpeg children), steadier on a shared machine.
  overhead_ratio_1080p_cpu: ratio(ffmpeg1080.cpuS, none1080.cpuS),
  overhead_ratio_720p_cpu: ratio(ffmpeg720.cpuS, none720.cpuS),
  realtime_factor_1080p_cpu_2cores: ratio(seconds * 2, detect1080.cpuS, 2),
  redact_cpu_ms_per_frame_1080p: Number(step.cpuMs.toFixed(3)),
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
    ['overhead_ratio_1080p_cpu', String(result.overhead_ratio_1080p_cpu), '(CPU time)'],
    ['overhead_ratio_720p_cpu', String(result.overhead_ratio_720p_cpu), '(CPU time)'],
    ['realtime_factor_1080p_cpu_2cores', String(result.realtime_factor_1080p_cpu_2cores), '(CPU time over 2 cores)'],
    ['redact_cpu_ms_per_frame_1080p', String(result.redact_cpu_ms_per_frame_1080p), '(CPU time)'],
    ['peak_rss_mb', String(result.peak_rss_mb), '≤ 600'],
  ];
  process.stdout.write(`clip ${seconds}s, libx264 ${result.encoder_preset}, ${result.ffmpeg}, load average ${result.load_average_1m}\n`);
  process.stdout.write(`1080p fps: ffmpeg ${result.ffmpeg_fps_1080p}, gateway ${result.gateway_fps_nodetect_1080p} (no detection), ${result.gateway_fps_live_1080p} (live detector, 10 analysed fps)\n`);
  process.stdout.write(`720p fps:  ffmpeg ${result.ffmpeg_fps_720p}, gateway ${result.gateway_fps_nodetect_720p} (no detection)\n\n`);
  for (const [name, value, target] of [['metric', 'value', 'target'] as [string, string, string], ...rows]) {
    process.stdout.write(`${name.padEnd(28)}${value.padEnd(10)}${target}\n`);
  }
}
