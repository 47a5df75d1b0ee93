import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { mediaTools } from '../../src/media/media-tools.js';
import type { FileLoopSettings } from '../../src/pipeline/file-redactor.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';

export const tools = mediaTools();

export const SCRIPTED_DETECTOR = fileURLToPath(new URL('./fixtures/scripted-detector.ts', import.meta.url));

export const SETTINGS: FileLoopSettings = {
  lookaheadMs: 1000,
  maxDetectionAgeMs: 1000,
  analysisFps: 'all',
  trackTtlMs: 1000,
  detectTimeoutMs: 5000,
  detectorMaxRestarts: 5,
  detectorRestartWindowMs: 60_000,
  encoderPreset: 'ultrafast',
  encoderCrf: 18,
};

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pgw-loop-'));
}

/** Runs ffmpeg to make a fixture (lavfi sources: nothing is downloaded or copied). */
export function ffmpeg(args: string[]): void {
  execFileSync(tools.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export interface ProbeResult {
  streams: { codec_type: string; codec_name: string; nb_frames?: string; r_frame_rate: string; avg_frame_rate: string; duration?: string; width: number; height: number; sample_aspect_ratio?: string; display_aspect_ratio?: string; tags?: Record<string, string> }[];
  format: { duration: string; tags?: Record<string, string> };
}

export function probe(path: string): ProbeResult {
  const out = execFileSync(tools.ffprobe, ['-v', 'error', '-print_format', 'json', '-count_frames', '-show_format', '-show_streams', path], { encoding: 'utf8' });
  return JSON.parse(out) as ProbeResult;
}

/** Decodes a video to 8-bit luma planes, one Buffer per frame. */
export function decodeLuma(path: string, width: number, height: number): Buffer[] {
  const raw = execFileSync(tools.ffmpeg, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 1 << 30 });
  const size = width * height;
  const frames: Buffer[] = [];
  for (let offset = 0; offset + size <= raw.length; offset += size) frames.push(raw.subarray(offset, offset + size));
  return frames;
}

export interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A logger whose JSON lines are kept for assertions (pino writes asynchronously: read them after a tick). */
export function captureLogger(level = 'warn'): { logger: Logger; messages: () => string[]; entries: () => LogEntry[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const entries = () => lines.map((line) => JSON.parse(line) as LogEntry);
  return { logger: createLogger({ level }, sink), messages: () => entries().map((entry) => entry.msg), entries };
}
