/**
 * Live benchmark: RTSP cameras from a local GStreamer server (test pattern, H.264 over TCP) through the whole
 * live loop with the real `live` detector profile, real vault and segments. Reports per camera the analysed
 * frames/s, output frames/s, fail-closed frames after the first segment (steady state), glass-to-segment
 * latency (segment visible in the spool minus the wall time of its first frame) and resident memory of the
 * camera's process tree (camera process + its ffmpeg children; the detector worker thread is inside the first).
 * `testSourceCores` is the CPU the RTSP test server used (cores, averaged): with `--source pattern` it renders and
 * encodes the patterns, work that on a real site the cameras do, here taken from the same two cores as the gateway.
 *
 * Camera streams: `--source pattern` (default) has the server render and x264-encode GStreamer test patterns live,
 * on the same cores as the gateway (a moving ball on black and static colour bars: cheap for the gateway to
 * encode); `--source file` pre-encodes ffmpeg's busier testsrc2 at a camera-like 4 Mbit/s (keyframe each second,
 * no B-frames) before the run, and the server only packetises it, as a real camera spares the gateway's box.
 *
 * usage: npx tsx scripts/live-bench.ts [--cameras 2] [--size 1280x720] [--seconds 45] [--segment 10] [--profile live|thorough|none] [--source file|pattern]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createSecurityStack } from '../src/access/security-stack.js';
import { CameraService } from '../src/cameras/camera-service.js';
import { openCatalog } from '../src/catalog/database.js';
import { CameraStore } from '../src/catalog/camera-store.js';
import { configSchema } from '../src/config/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { RtspTestServer, testPattern } from '../test/cameras/rtsp-harness.js';

const { values } = parseArgs({ options: { cameras: { type: 'string', default: '2' }, size: { type: 'string', default: '1280x720' }, seconds: { type: 'string', default: '45' }, segment: { type: 'string', default: '10' }, profile: { type: 'string', default: 'live' }, source: { type: 'string', default: 'pattern' } } });
const count = Number(values.cameras);
const [width, height] = (values.size ?? '1280x720').split('x').map(Number) as [number, number];
const seconds = Number(values.seconds);
const segmentSeconds = Number(values.segment);

/** RSS in MiB of a process and all its descendants. */
function treeRssMiB(pid: number): number {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=']).toString().trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
  const within = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of table) if (within.has(parent) && !within.has(child)) { within.add(child); grew = true; }
  }
  return table.filter(([p]) => within.has(p)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function cameraPids(): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args=']).toString().trim().split('\n');
  return rows.map((row) => row.trim().split(/\s+/, 3)).filter(([, ppid, args]) => Number(ppid) === process.pid && (args ?? '').includes('node')).map(([pid]) => Number(pid));
}

/** A camera-like H.264 file long enough for the run, served as it is. */
function cameraFile(dir: string): string {
  const file = join(dir, `camera-${width}x${height}.mp4`);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-t', String(seconds + 20), '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '4M', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p', file]);
  return `filesrc location=${file} ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1`;
}

const sourceDir = values.source === 'file' ? mkdtempSync(join(tmpdir(), 'pgw-bench-source-')) : undefined;
const fileSource = sourceDir === undefined ? undefined : cameraFile(sourceDir);
const mounts = Object.fromEntries(Array.from({ length: count }, (_v, i) => [`/cam${i}`, fileSource ?? testPattern(width, height, i % 2 === 0 ? 'ball' : 'smpte')]));
const rtsp = await RtspTestServer.start(mounts);
const dataDir = mkdtempSync(join(tmpdir(), 'pgw-bench-'));
const config = configSchema.parse({
  dataDir, pipeline: { segmentSeconds, demoCamera: false },
  cameras: { devices: Array.from({ length: count }, (_v, i) => ({ id: `cam${i}`, source: rtsp.url(`/cam${i}`), profile: values.profile })), previewFps: 2 },
});
const db = openCatalog(join(dataDir, 'catalog.db'));
const security = createSecurityStack({ config, db, logger: silentLogger(), clock: systemClock });
await security.start();
const cameras = new CameraService({
  cameras: config.cameras, pipeline: config.pipeline, dataDir, store: new CameraStore(db), originals: security.vault,
  audit: security.audit, registry: new Registry(), clock: systemClock, logger: silentLogger(),
});
cameras.start();
const sourceCpuBefore = cpuSeconds(rtsp.pid);
const benchStarted = performance.now();
const samples: Record<string, { analysed: number[]; output: number[]; input: number[] }> = {};
const rss: number[][] = [];
for (let t = 0; t < seconds; t++) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (let i = 0; i < count; i++) {
    const status = cameras.status(`cam${i}`);
    const entry = (samples[status.id] ??= { analysed: [], output: [], input: [] });
    if (status.state === 'streaming' && status.outputFps > 0) {
      entry.analysed.push(status.analysedFps);
      entry.output.push(status.outputFps);
      entry.input.push(status.inputFps);
    }
  }
  if (t % 5 === 4) rss.push(cameraPids().map(treeRssMiB));
}
const sourceCores = (cpuSeconds(rtsp.pid) - sourceCpuBefore) / ((performance.now() - benchStarted) / 1000);
const finalStatus = Array.from({ length: count }, (_v, i) => cameras.status(`cam${i}`));
await cameras.stop();
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const report = finalStatus.map((status) => {
  const dir = join(dataDir, 'spool', status.id);
  const sidecars = readdirSync(dir).filter((name) => name.endsWith('.json')).sort().map((name) => ({ name, body: JSON.parse(readFileSync(join(dir, name), 'utf8')) as { startMs: number; endMs: number; frameCount: number; failClosedFrames: number } }));
  const full = sidecars.filter((s) => s.body.frameCount >= segmentSeconds * 25 - 1);
  const steady = full.slice(1);
  const encoded = full.map((s) => statSync(join(dir, s.name.replace(/\.json$/, '.mp4'))).mtimeMs - s.body.startMs);
  const published = full.map((s) => statSync(join(dir, s.name)).mtimeMs - s.body.startMs);
  const s = samples[status.id] ?? { analysed: [], output: [], input: [] };
  return {
    camera: status.id, size: `${width}x${height}`, inputFps: +mean(s.input).toFixed(1), analysedFps: +mean(s.analysed).toFixed(1), outputFps: +mean(s.output).toFixed(1),
    segments: sidecars.length, steadySegments: steady.length, failClosedSteady: steady.reduce((n, x) => n + x.body.failClosedFrames, 0),
    failClosedFirstSegment: full[0]?.body.failClosedFrames ?? null, droppedAnalysisFrames: status.droppedFrames, reconnects: status.reconnects,
    glassToSegmentMs: { encodedMax: Math.round(Math.max(...encoded)), publishedMin: Math.round(Math.min(...published)), publishedMax: Math.round(Math.max(...published)) },
    latencyBoundMs: config.pipeline.lookaheadMs + segmentSeconds * 1000 + 1000,
  };
});
const rssPerCamera = rss.flat();
console.log(JSON.stringify({ cameras: report, rssMiBPerCameraProcessTree: { max: Math.round(Math.max(...rssPerCamera)), mean: Math.round(mean(rssPerCamera)) }, source: values.source, testSourceCores: +sourceCores.toFixed(2), loadavg: execFileSync('cat', ['/proc/loadavg']).toString().trim() }, null, 2));
security.stop();
db.close();
await rtsp.close();
rmSync(dataDir, { recursive: true, force: true });
if (sourceDir !== undefined) rmSync(sourceDir, { recursive: true, force: true });
