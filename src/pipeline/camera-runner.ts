import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrameSize } from '../media/ffmpeg-args.js';
import { FrameEncoder } from '../media/frame-encoder.js';
import { checkFramePixels } from '../media/frame-limit.js';
import type { MediaProcess } from '../media/ffmpeg-process.js';
import type { MediaTools } from '../media/media-tools.js';
import { PrivacyMask } from '../redact/privacy-mask.js';
import type { Clock } from '../shared/clock.js';
import { describeError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { DetectorHost, type DetectOutcome } from '../vision/detector-host.js';
import type { CameraFault, CameraMessage, CameraRuntimeSpec } from './camera-protocol.js';
import { CameraSegmenter, clearEarlierRuns } from './camera-segmenter.js';
import { cameraDecoderArgs, cameraInput, GRAPH_START_MARK, ORIGINALS_FD, probeCamera, type CameraInfo, type CameraInput } from './camera-source.js';
import { Fmp4Cutter } from './fmp4-cutter.js';
import { FrameLoop, type FrameSink } from './frame-loop.js';
import { PreviewTap } from './preview-tap.js';

/** The detector host, timing each detection (request to outcome, including the hand-over to the worker thread) for the metrics. */
class TimedDetectorHost extends DetectorHost {
  constructor(private readonly onLatency: (ms: number) => void, options: ConstructorParameters<typeof DetectorHost>[0]) {
    super(options);
  }

  override async detect(...args: Parameters<DetectorHost['detect']>): Promise<DetectOutcome> {
    const started = performance.now();
    const outcome = await super.detect(...args);
    this.onLatency(performance.now() - started);
    return outcome;
  }
}

export interface CameraRunnerDeps {
  tools: MediaTools;
  clock: Clock;
  logger: Logger;
  send: (message: CameraMessage) => void;
}

const WATCH_INTERVAL_MS = 500;
const STATS_INTERVAL_MS = 1000;
/** Frame latency samples kept between two stats messages. */
const MAX_LATENCY_SAMPLES = 256;

/**
 * One camera's live loop inside its own process: probe, decode (masks first), detect, redact, encode into
 * segments, cut originals from the same decoder's bitstream, watch for stalls and resolution changes.
 * `run` resolves with the fault that ended it, or null after `stop()`.
 */
export class CameraRunner {
  private loop: FrameLoop | undefined;
  private encoder: FrameEncoder | undefined;
  private host: DetectorHost | null = null;
  private preview: PreviewTap | undefined;
  private fault: { fault: CameraFault; message: string } | undefined;
  private stopping = false;
  private inputFrames = 0;
  private lastFrameAt = 0;
  private epochMs: number | undefined;
  private latencies: number[] = [];
  private detectorLatencies: number[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly spec: CameraRuntimeSpec, private readonly deps: CameraRunnerDeps) {}

  async run(): Promise<{ fault: CameraFault; message: string } | null> {
    const { spec, deps } = this;
    const { settings, camera } = spec;
    const input = cameraInput(camera.source, settings.rtspTimeoutMs);
    const info = await probeCamera(deps.tools, input, settings.rtspTimeoutMs * 2);
    checkFramePixels(`camera ${camera.id}`, info.size.width, info.size.height, settings.maxPixels, 'cameras.streamMaxPixels');
    await mkdir(spec.workDir, { recursive: true });
    const cleared = await clearEarlierRuns(spec.workDir);
    if (cleared > 0) deps.logger.info({ camera: camera.id, files: cleared }, 'removed the unfinished segments of an earlier run');
    await mkdir(spec.spoolDir, { recursive: true });
    this.host = spec.detector.kind === 'none' ? null : new TimedDetectorHost((ms) => this.detectorLatencies.length < MAX_LATENCY_SAMPLES && this.detectorLatencies.push(ms), {
      spec: spec.detector, clock: deps.clock, logger: deps.logger, detectTimeoutMs: settings.detectTimeoutMs,
      initTimeoutMs: 120_000, maxRestarts: settings.detectorMaxRestarts, restartWindowMs: settings.detectorRestartWindowMs,
    });
    await this.host?.start();
    const analysisSize = this.host ? await this.host.inputSize(info.size.width, info.size.height) : undefined;
    const runTag = `run${deps.clock.now().toString(36)}`;
    const segmenter = new CameraSegmenter({
      cameraId: camera.id, workDir: spec.workDir, spoolDir: spec.spoolDir, runTag, segmentSeconds: settings.segmentSeconds,
      fps: info.fps, width: info.size.width, height: info.size.height, masks: camera.masks.length,
      detector: { id: this.host?.detectorId ?? 'none', models: (this.host?.models ?? []).map((m) => ({ id: m.id, sha256: m.sha256 })) },
      epochMs: () => this.epochMs ?? deps.clock.now(),
      onSegment: (segment) => deps.send({ type: 'segment', segment }),
    });
    const cutter = new Fmp4Cutter({
      targetMs: settings.segmentSeconds * 1000,
      now: () => deps.clock.now(),
      onOriginal: (original) => deps.send({ type: 'original', ...original }),
    });
    this.encoder = new FrameEncoder(deps.tools, {
      kind: 'video', size: info.size, rate: info.rate, output: join(spec.workDir, `${runTag}-%06d.mp4`),
      preset: settings.encoderPreset, crf: settings.encoderCrf, segmentSeconds: settings.segmentSeconds,
      ...(settings.lowLatency ? { tune: 'zerolatency' as const } : {}), pixelAspect: info.pixelAspect,
    });
    this.loop = this.frameLoop(input, info, analysisSize, segmenter, cutter);
    deps.send({ type: 'started', width: info.size.width, height: info.size.height, fps: info.fps, detectorId: this.host?.detectorId ?? 'none' });
    return this.supervise(segmenter);
  }

  private frameLoop(input: CameraInput, info: CameraInfo, analysisSize: FrameSize | undefined, segmenter: CameraSegmenter, cutter: Fmp4Cutter): FrameLoop {
    const { spec, deps } = this;
    const { settings, camera } = spec;
    const encoder = this.encoder as FrameEncoder;
    let sink: FrameSink = encoder;
    if (settings.previewFps > 0) {
      this.preview = new PreviewTap(encoder, info.size, info.fps, settings.previewFps, (jpeg) => deps.send({ type: 'preview', jpeg }));
      sink = this.preview;
    }
    return new FrameLoop({
      tools: deps.tools,
      source: { input: input.input, size: info.size, crop: false, fps: info.fps },
      detection: this.host && analysisSize ? { host: this.host, analysisSize, mode: { kind: 'live' } } : null,
      classes: spec.classes,
      style: camera.redactionStyle,
      lookaheadMs: settings.lookaheadMs,
      maxDetectionAgeMs: settings.maxDetectionAgeMs,
      trackTtlMs: settings.trackTtlMs,
      sink,
      mask: new PrivacyMask(camera.masks, info.size.width, info.size.height),
      decoder: {
        args: (plan) => cameraDecoderArgs(plan, { camera: input, audio: camera.audio.enabled }),
        extraOutputs: 2,
        onStart: (process) => this.watchDecoder(process, cutter, info.size),
      },
      onFrame: (record) => {
        segmenter.record(record.index, record.regions);
        if (this.epochMs !== undefined && this.latencies.length < MAX_LATENCY_SAMPLES) {
          this.latencies.push(deps.clock.now() - (this.epochMs + record.ptsMs));
        }
      },
    });
  }

  /** Stops the source; buffered frames still go out redacted and the last segment is closed. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private watchDecoder(process: MediaProcess, cutter: Fmp4Cutter, size: { width: number; height: number }): void {
    const originals = process.output(ORIGINALS_FD);
    originals.on('data', (chunk: Buffer) => cutter.push(chunk));
    originals.once('end', () => cutter.end());
    process.stdout.on('data', (chunk: Buffer) => {
      this.epochMs ??= this.deps.clock.now();
      this.lastFrameAt = this.deps.clock.now();
      this.inputFrames += chunk.length / ((size.width * size.height * 3) / 2);
    });
    let pending = '';
    process.stderr.on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const graph = GRAPH_START_MARK.exec(line);
        if (graph && (Number(graph[1]) & ~1) !== size.width) this.raise('resolution_changed', `source size changed to ${graph[1]}x${graph[2]}`);
        else if (graph && (Number(graph[2]) & ~1) !== size.height) this.raise('resolution_changed', `source size changed to ${graph[1]}x${graph[2]}`);
      }
    });
  }

  private raise(fault: CameraFault, message: string): void {
    if (this.fault || this.stopping) return;
    this.fault = { fault, message };
    this.wake?.();
  }

  private async supervise(segmenter: CameraSegmenter): Promise<{ fault: CameraFault; message: string } | null> {
    const loop = this.loop as FrameLoop;
    const started = this.deps.clock.now();
    const done = loop.run().then(
      () => this.raise('source_ended', 'the source ended'),
      // The encoder's death (a full disk) also ends the loop; its reason then names the encoder.
      (error: unknown) => this.raise(isGatewayError(error) && error.code === 'PGW_ERR_OUTPUT' ? 'encoder_failed' : 'decoder_failed', describeError(error)),
    );
    const stats = setInterval(() => this.sendStats(), STATS_INTERVAL_MS);
    const watch = setInterval(() => {
      const last = this.lastFrameAt || started + this.spec.settings.lookaheadMs;
      if (this.deps.clock.now() - last > this.spec.settings.stallMs) this.raise('stalled', `no frame for ${this.spec.settings.stallMs} ms`);
      void segmenter.collect(false).catch((error: unknown) => this.deps.logger.error({ err: error }, 'segment could not be moved to the spool'));
    }, WATCH_INTERVAL_MS);
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (this.fault || this.stopping) resolve();
    });
    clearInterval(watch);
    await loop.stop();
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 3000))]);
    await this.encoder?.finish().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'encoder did not finish cleanly'));
    await this.preview?.close();
    // A segment that cannot be moved is logged; the fault that ended the run is what the camera reports.
    await segmenter.collect(true).catch((error: unknown) => this.deps.logger.error({ err: error }, 'segment could not be moved to the spool'));
    clearInterval(stats);
    this.sendStats();
    await this.host?.close();
    return this.stopping && !this.fault ? null : (this.fault ?? null);
  }

  private sendStats(): void {
    const snapshot = this.loop?.snapshot();
    if (!snapshot) return;
    this.deps.send({
      type: 'stats',
      counters: {
        inputFrames: Math.floor(this.inputFrames), outputFrames: snapshot.frames, analysed: snapshot.analysed,
        analysisSkipped: snapshot.analysisSkipped, analysisFailures: snapshot.analysisFailures, failClosedFrames: snapshot.failClosedFrames,
      },
      queueDepth: Math.max(0, Math.floor(this.inputFrames) - snapshot.frames),
      frameLatencyMs: this.latencies,
      detectorLatencyMs: this.detectorLatencies,
    });
    this.latencies = [];
    this.detectorLatencies = [];
  }
}
