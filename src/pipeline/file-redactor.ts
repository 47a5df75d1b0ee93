import { rename, rm } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { OutputKind } from '../media/ffmpeg-args.js';
import { mediaInput, type FileKey } from '../media/encrypted-file.js';
import { FrameEncoder } from '../media/frame-encoder.js';
import { probeMedia, type MediaInfo } from '../media/media-probe.js';
import { mediaTools, type MediaTools } from '../media/media-tools.js';
import type { RedactionStyle } from '../redact/region-ops.js';
import { PrivacyMask, type MaskPolygon } from '../redact/privacy-mask.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { GatewayError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ObjectClass } from '../vision/detector.js';
import { DetectorHost } from '../vision/detector-host.js';
import type { DetectorSpec } from '../vision/registry.js';
import { FrameLoop, type FrameSource, type LoopSettings } from './frame-loop.js';
import type { FrameRecord, RedactionReport } from './frame-report.js';

/** The frame-loop settings a file job uses (a subset of the `pipeline` config section). */
export interface FileLoopSettings extends LoopSettings {
  analysisFps: number | 'all';
}

export interface FileRedactorOptions {
  /** Detector to build in the worker; `{ kind: 'none' }` disables detection (no analysis stream at all). */
  detector: DetectorSpec;
  settings: FileLoopSettings;
  style: RedactionStyle;
  classes: readonly ObjectClass[];
  logger: Logger;
  clock?: Clock;
  tools?: MediaTools;
  /** Longest wait for the detector to load its models. */
  initTimeoutMs?: number;
}

export interface RedactFileOptions {
  /** Where the redacted file goes; omitted: analyse and compute regions only (evaluation), no encoding. */
  outputPath?: string;
  onProgress?: (framesDone: number, framesExpected: number | undefined) => void;
  /** Static privacy masks (A6) blacked out on every frame before anything else, e.g. a body-worn camera's. */
  masks?: readonly MaskPolygon[];
  /** Cancels the file: decoding stops, nothing is written and the call rejects (the gateway is stopping). */
  signal?: AbortSignal;
  /** The input is encrypted at rest under this key (a body-worn upload): ffmpeg decrypts it as it reads. */
  fileKey?: FileKey;
}

export interface FileRedactor {
  redactFile(inputPath: string, options?: RedactFileOptions): Promise<RedactionReport>;
  close(): Promise<void>;
}

const IMAGE_OUTPUT: Record<string, OutputKind> = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png' };

/** Share of the announced frames below which a video counts as truncated (containers round their counts). */
const TRUNCATION_TOLERANCE = 0.9;

function outputKind(info: MediaInfo, outputPath: string): OutputKind {
  if (info.kind === 'video') return 'video';
  return IMAGE_OUTPUT[extname(outputPath).toLowerCase()] ?? 'jpeg';
}

function sourceOf(inputPath: string, info: MediaInfo, fileKey: FileKey | undefined): FrameSource {
  // x264 needs even sizes: odd video is cropped by one pixel; images keep their exact size.
  const crop = info.kind === 'video' && (info.width % 2 === 1 || info.height % 2 === 1);
  const size = crop ? { width: info.width & ~1, height: info.height & ~1 } : { width: info.width, height: info.height };
  const input = mediaInput(inputPath, fileKey);
  return { input: input.url, inputOptions: input.options, size, crop, fps: info.fps, upright: info.upright, ...(info.variableRate ? { constantRate: info.rate } : {}) };
}

function checkComplete(inputPath: string, info: MediaInfo, frames: number): void {
  if (frames === 0) {
    throw new GatewayError('PGW_ERR_INPUT_INVALID', `${basename(inputPath)}: no frame could be decoded`, { path: inputPath });
  }
  const expected = info.expectedFrames;
  if (info.kind === 'video' && expected !== undefined && frames < expected * TRUNCATION_TOLERANCE - 1) {
    throw new GatewayError('PGW_ERR_INPUT_INVALID', `${basename(inputPath)}: truncated or corrupt video (decoded ${frames} of ${expected} frames)`, { path: inputPath, frames, expected });
  }
}

function asInputError(inputPath: string, error: unknown): Error {
  if (isGatewayError(error) && error.code === 'PGW_ERR_OUTPUT') {
    // The output failed, not the input: the code stays, and the message names the file like every other failure.
    return new GatewayError('PGW_ERR_OUTPUT', `${basename(inputPath)}: ${error.message}`, { ...error.context, path: inputPath }, { cause: error });
  }
  if (isGatewayError(error) && error.code !== 'PGW_ERR_FFMPEG') return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new GatewayError('PGW_ERR_INPUT_INVALID', `${basename(inputPath)}: ${reason}`, { path: inputPath }, { cause: error });
}

function startHost(options: FileRedactorOptions): DetectorHost | null {
  if (options.detector.kind === 'none') return null;
  const { settings } = options;
  return new DetectorHost({
    spec: options.detector,
    clock: options.clock ?? systemClock,
    logger: options.logger,
    detectTimeoutMs: settings.detectTimeoutMs,
    initTimeoutMs: options.initTimeoutMs ?? 120_000,
    maxRestarts: settings.detectorMaxRestarts,
    restartWindowMs: settings.detectorRestartWindowMs,
  });
}

function encoderFor(tools: MediaTools, options: FileRedactorOptions, info: MediaInfo, source: FrameSource, outputPath: string | undefined): FrameEncoder | null {
  if (outputPath === undefined) return null;
  const kind = outputKind(info, outputPath);
  return new FrameEncoder(tools, {
    kind,
    size: source.size,
    rate: info.kind === 'video' ? info.rate : '1/1',
    pixelAspect: info.pixelAspect,
    output: `${outputPath}.partial`,
    preset: options.settings.encoderPreset,
    crf: options.settings.encoderCrf,
    ...(kind === 'video' ? { format: 'mp4' } : {}),
  });
}

interface FileJob {
  tools: MediaTools;
  options: FileRedactorOptions;
  host: DetectorHost | null;
}

async function runFile(job: FileJob, inputPath: string, fileOptions: RedactFileOptions): Promise<RedactionReport> {
  const { tools, options, host } = job;
  const { settings } = options;
  const info = await probeMedia(tools, inputPath, fileOptions.fileKey);
  const source = sourceOf(inputPath, info, fileOptions.fileKey);
  const { outputPath } = fileOptions;
  const encoder = encoderFor(tools, options, info, source, outputPath);
  const frames: FrameRecord[] = [];
  try {
    const analysisSize = host ? await host.inputSize(source.size.width, source.size.height) : undefined;
    const loop = new FrameLoop({
      tools,
      source,
      detection: host && analysisSize ? { host, analysisSize, mode: { kind: 'offline', analysisFps: settings.analysisFps } } : null,
      classes: options.classes,
      style: options.style,
      lookaheadMs: settings.lookaheadMs,
      maxDetectionAgeMs: settings.maxDetectionAgeMs,
      trackTtlMs: settings.trackTtlMs,
      ...(fileOptions.masks?.length ? { mask: new PrivacyMask(fileOptions.masks, source.size.width, source.size.height) } : {}),
      sink: encoder,
      onFrame: (record) => {
        frames.push(record);
        fileOptions.onProgress?.(frames.length, info.expectedFrames);
      },
    });
    const { signal } = fileOptions;
    const cancelled = (): GatewayError => new GatewayError('PGW_ERR_UNAVAILABLE', `${basename(inputPath)}: redaction cancelled`, { path: inputPath });
    // Checked and subscribed in one synchronous step, so a cancel can never fall between the two.
    if (signal?.aborted) throw cancelled();
    const cancel = (): void => void loop.stop();
    signal?.addEventListener('abort', cancel, { once: true });
    const result = await loop.run().finally(() => signal?.removeEventListener('abort', cancel));
    if (signal?.aborted) throw cancelled();
    checkComplete(inputPath, info, result.frames);
    await encoder?.finish();
    if (outputPath !== undefined) await rename(`${outputPath}.partial`, outputPath);
    return {
      input: inputPath,
      kind: info.kind,
      width: source.size.width,
      height: source.size.height,
      ...(info.kind === 'video' ? { fps: info.fps } : {}),
      frameCount: result.frames,
      failClosedFrames: result.failClosedFrames,
      detector: { id: host?.detectorId ?? 'none', models: host?.models.map((m) => ({ id: m.id, sha256: m.sha256 })) ?? [] },
      frames,
    };
  } catch (error) {
    await encoder?.abort();
    if (outputPath !== undefined) await rm(`${outputPath}.partial`, { force: true });
    throw asInputError(inputPath, error);
  }
}

/**
 * Offline redaction of image and video files through the frame loop, shared by the `redact` command and the
 * evaluation harness. One detector worker serves every file of the redactor; results depend only on the
 * input (analysis runs on a fixed schedule in video time and the loop waits for it). Output is written to
 * `<outputPath>.partial` and renamed only when complete, so a failed input never leaves a partial file.
 */
export async function createFileRedactor(options: FileRedactorOptions): Promise<FileRedactor> {
  const host = startHost(options);
  try {
    await host?.start();
  } catch (error) {
    await host?.close();
    throw error;
  }
  const job: FileJob = { tools: options.tools ?? mediaTools(), options, host };
  return {
    redactFile: (inputPath, fileOptions = {}) => runFile(job, inputPath, fileOptions),
    close: async () => {
      await host?.close();
    },
  };
}
