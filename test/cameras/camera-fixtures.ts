import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { CameraService } from '../../src/cameras/camera-service.js';
import { CameraStore } from '../../src/catalog/camera-store.js';
import type { CameraConfig, CameraInput } from '../../src/config/sections/cameras.js';
import type { DetectorSpec } from '../../src/vision/registry.js';
import { systemClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { OutboxItem } from '../../src/shared/ports.js';
import { openTestStack, type TestStack } from '../access/security-fixtures.js';

export interface LiveHarness {
  stack: TestStack;
  cameras: CameraService;
  outbox: OutboxItem[];
  registry: Registry;
  accepting: { value: boolean };
  close(): Promise<void>;
}

/** The camera service over the real catalog, vault and audit log; the outbox records what it is given. */
export async function openLiveHarness(dataDir: string, devices: CameraInput[], overrides: { stallMs?: number; segmentSeconds?: number; previewFps?: number; rtspTimeoutMs?: number; streamMaxPixels?: number; detectorFor?: (camera: CameraConfig) => DetectorSpec } = {}): Promise<LiveHarness> {
  const stack = await openTestStack(dataDir, undefined, {
    pipeline: { segmentSeconds: overrides.segmentSeconds ?? 2, lookaheadMs: 500, demoCamera: false },
    cameras: { devices, stallMs: overrides.stallMs ?? 2500, reconnectMinMs: 200, reconnectMaxMs: 1000, rtspTimeoutMs: overrides.rtspTimeoutMs ?? 2000, previewFps: overrides.previewFps ?? 0, ...(overrides.streamMaxPixels ? { streamMaxPixels: overrides.streamMaxPixels } : {}) },
  });
  const outbox: OutboxItem[] = [];
  const accepting = { value: true };
  const registry = new Registry();
  const cameras = new CameraService({
    cameras: stack.config.cameras, pipeline: stack.config.pipeline, dataDir, store: new CameraStore(stack.db),
    originals: stack.security.vault, outbox: { enqueue: (item) => outbox.push(item) }, pressure: { acceptingOriginals: () => accepting.value },
    audit: stack.security.audit, registry, clock: systemClock, logger: silentLogger(),
    ...(overrides.detectorFor ? { detectorFor: overrides.detectorFor } : {}),
  });
  cameras.start();
  return {
    stack, cameras, outbox, registry, accepting,
    async close() {
      await cameras.stop();
      stack.close();
    },
  };
}

export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function segmentsOf(dataDir: string, camera: string): string[] {
  const dir = join(dataDir, 'spool', camera);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.mp4')).sort().map((name) => join(dir, name)) : [];
}

export function sidecarOf(segmentPath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(segmentPath.replace(/\.mp4$/, '.json'), 'utf8')) as Record<string, unknown>;
}

/** Stream types of a file, or of bytes in memory (written to a scratch file the test removes with its directory). */
export function streamTypes(media: string | Buffer, scratchDir?: string): string[] {
  let path = media;
  if (typeof media !== 'string') {
    path = join(scratchDir ?? '.', `probe-${Date.now()}.mp4`);
    writeFileSync(path, media);
  }
  const out = execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', path as string]);
  if (typeof media !== 'string') rmSync(path);
  return out.toString().trim().split('\n').filter((line) => line !== '');
}

/** Luma of a rectangle of every frame of a video (gray8, row-major per frame). */
export function lumaOf(path: string, crop: { x: number; y: number; w: number; h: number }): { frames: number; max: number } {
  const raw = execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-i', path, '-vf', `crop=${crop.w}:${crop.h}:${crop.x}:${crop.y}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 256 * 1024 * 1024 });
  let max = 0;
  for (const value of raw) if (value > max) max = value;
  return { frames: raw.length / (crop.w * crop.h), max };
}
