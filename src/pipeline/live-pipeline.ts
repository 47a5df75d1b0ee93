import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FrameEncoder } from '../media/frame-encoder.js';
import type { MediaTools } from '../media/media-tools.js';
import { FailClosedAuditor } from '../redact/fail-closed-auditor.js';
import type { RedactionStyle } from '../redact/region-ops.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort } from '../shared/ports.js';
import type { ObjectClass } from '../vision/detector.js';
import type { DetectorHost } from '../vision/detector-host.js';
import { FrameLoop, type FrameLoopResult } from './frame-loop.js';

export interface LiveSource {
  /** ffmpeg input (RTSP URL, file, or a lavfi graph with `inputFormat: 'lavfi'`). */
  readonly input: string;
  readonly inputFormat?: string;
  /** Pace a file or test source at its native rate, as a camera delivers frames. */
  readonly realtime: boolean;
  readonly width: number;
  readonly height: number;
  /** Frame rate as an ffmpeg rational. */
  readonly rate: string;
  readonly fps: number;
}

export interface LivePipelineSettings {
  lookaheadMs: number;
  maxDetectionAgeMs: number;
  trackTtlMs: number;
  encoderPreset: string;
  encoderCrf: number;
  segmentSeconds: number;
}

export interface LivePipelineOptions {
  readonly cameraId: string;
  readonly source: LiveSource;
  /** Redacted segments are written here as `segment-000000.mp4`, … */
  readonly outputDir: string;
  /** The shared detector; null runs without detection (every frame then needs no analysis — only for tests of the loop). */
  readonly detector: DetectorHost | null;
  readonly settings: LivePipelineSettings;
  readonly style: RedactionStyle;
  readonly classes: readonly ObjectClass[];
  readonly tools: MediaTools;
  readonly logger: Logger;
  /** Fail-closed frames are audited (rate-limited) when an audit log is given. */
  readonly audit?: { port: AuditPort; clock: Clock };
}

/**
 * One camera's live loop: latest-frame-wins detection, look-ahead, fail-closed, and redacted H.264 segments.
 * Counts (frames, fail-closed frames, analysed and skipped analyses) are logged once per segment, never per frame.
 */
export class LivePipeline {
  private loop: FrameLoop | undefined;
  private encoder: FrameEncoder | undefined;
  private done: Promise<FrameLoopResult> | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private auditor: FailClosedAuditor | undefined;

  constructor(private readonly options: LivePipelineOptions) {}

  async start(): Promise<void> {
    const { source, settings, detector, tools, outputDir } = this.options;
    await mkdir(outputDir, { recursive: true });
    const size = { width: source.width, height: source.height };
    const analysisSize = detector ? await detector.inputSize(size.width, size.height) : undefined;
    const { audit } = this.options;
    const auditor = audit ? new FailClosedAuditor(audit.port, audit.clock, this.options.logger, `camera:${this.options.cameraId}`) : undefined;
    this.auditor = auditor;
    this.encoder = new FrameEncoder(tools, {
      kind: 'video', size, rate: source.rate, output: join(outputDir, 'segment-%06d.mp4'),
      preset: settings.encoderPreset, crf: settings.encoderCrf, segmentSeconds: settings.segmentSeconds,
    });
    this.loop = new FrameLoop({
      tools,
      source: { input: source.input, inputFormat: source.inputFormat, realtime: source.realtime, size, crop: false, fps: source.fps },
      detection: detector && analysisSize ? { host: detector, analysisSize, mode: { kind: 'live' } } : null,
      classes: this.options.classes,
      style: this.options.style,
      lookaheadMs: settings.lookaheadMs,
      maxDetectionAgeMs: settings.maxDetectionAgeMs,
      trackTtlMs: settings.trackTtlMs,
      sink: this.encoder,
      ...(auditor ? { onFailClosed: () => auditor.record() } : {}),
    });
    this.done = this.loop.run();
    this.done.catch((error: unknown) => this.options.logger.error({ camera: this.options.cameraId, err: error }, 'live frame loop failed'));
    this.statsTimer = setInterval(() => this.logStats(), settings.segmentSeconds * 1000);
    this.statsTimer.unref();
  }

  /** Current counts, for health and metrics. */
  stats(): FrameLoopResult | undefined {
    return this.loop?.snapshot();
  }

  /** Stops the source, lets the buffered frames out (still redacted), closes the last segment. */
  async stop(): Promise<FrameLoopResult | undefined> {
    clearInterval(this.statsTimer);
    if (!this.loop || !this.done) return undefined;
    await this.loop.stop();
    const result = await this.done.catch(() => this.loop?.snapshot());
    await this.encoder?.finish();
    this.auditor?.flush();
    this.logStats();
    return result;
  }

  private logStats(): void {
    const stats = this.loop?.snapshot();
    if (stats) this.options.logger.info({ camera: this.options.cameraId, ...stats }, 'live pipeline counters');
  }
}
