import { decoderArgs, rgb24FrameBytes, yuv420pFrameBytes, type DecoderPlan, type FrameSize } from '../media/ffmpeg-args.js';
import { MediaProcess } from '../media/ffmpeg-process.js';
import { FramePool } from '../media/frame-pool.js';
import type { MediaTools } from '../media/media-tools.js';
import { RawFrameReader } from '../media/raw-frame-reader.js';
import { CoverageLedger, mustRedactWholeFrame } from '../redact/fail-closed.js';
import type { PrivacyMask } from '../redact/privacy-mask.js';
import { redactRegion, redactWholeFrame, type RedactionStyle, type YuvFrame } from '../redact/region-ops.js';
import { GatewayError } from '../shared/errors.js';
import type { ObjectClass } from '../vision/detector.js';
import type { DetectorHost } from '../vision/detector-host.js';
import { DEFAULT_TRACKER_OPTIONS, Tracker } from '../vision/tracker.js';
import { frameTimeMs, scheduleSelectExpression } from './analysis-schedule.js';
import { AnalysisStage, type AnalysisMode } from './analysis-stage.js';
import type { FrameRecord, RedactedRegion } from './frame-report.js';

/** Where redacted frames go: an encoder (FrameEncoder) or nowhere (analysis only). */
export interface FrameSink {
  write(frame: Uint8Array, done: () => void): boolean;
  onDrain(callback: () => void): void;
  /** Called if the sink dies before its input ends: nothing more can be written, so the loop stops and rejects. */
  onFailure(callback: (error: Error) => void): void;
}

export interface FrameSource {
  readonly input: string;
  /** Options that open the input (before `-i`; see DecoderPlan). */
  readonly inputOptions?: readonly string[];
  readonly inputFormat?: string;
  readonly realtime?: boolean;
  /** Frame size delivered (the source, cropped to even for video). */
  readonly size: FrameSize;
  readonly crop: boolean;
  readonly constantRate?: string;
  /** Filters that turn the decoded picture upright (see DecoderPlan). */
  readonly upright?: string;
  readonly fps: number;
}

export interface FrameLoopOptions {
  readonly tools: MediaTools;
  readonly source: FrameSource;
  /** Detection, or null when detection is disabled (no analysis stream, no fail-closed). */
  readonly detection: { host: DetectorHost; analysisSize: FrameSize; mode: AnalysisMode } | null;
  readonly classes: readonly ObjectClass[];
  readonly style: RedactionStyle;
  readonly lookaheadMs: number;
  readonly maxDetectionAgeMs: number;
  readonly trackTtlMs: number;
  readonly sink: FrameSink | null;
  /** Every emitted frame with its regions (report, metrics). Not called per pixel; cheap objects only. */
  readonly onFrame?: (record: FrameRecord) => void;
  /** Called for each frame redacted whole (audit, metrics); rare by design. */
  readonly onFailClosed?: () => void;
  /** Static privacy masks (A6): applied to each frame as it arrives, before anything else sees it. */
  readonly mask?: PrivacyMask;
  /** Live cameras: their own decoder argv (input options, extra outputs on pipes ≥ 4) and access to the process. */
  readonly decoder?: DecoderCustomisation;
}

export interface DecoderCustomisation {
  args(plan: DecoderPlan): string[];
  /** Pipes beyond stdout/stderr the argv writes to (fd 3 is the analysis pipe). */
  readonly extraOutputs: number;
  onStart(process: MediaProcess): void;
}

export interface FrameLoopResult {
  frames: number;
  failClosedFrames: number;
  analysed: number;
  analysisFailures: number;
  analysisSkipped: number;
}

/** Settings every redaction job shares, offline or live (from the `pipeline` config section). */
export interface LoopSettings {
  lookaheadMs: number;
  maxDetectionAgeMs: number;
  trackTtlMs: number;
  detectTimeoutMs: number;
  detectorMaxRestarts: number;
  detectorRestartWindowMs: number;
  encoderPreset: string;
  encoderCrf: number;
}

/** Analysis slots in the detector's shared pool: one in flight, one waiting, one being decoded, one spare. */
const ANALYSIS_SLOTS = 4;
/** yuv frames beyond the look-ahead window: decoder/analysis skew between the two pipes, encoder pipe, margin. */
const YUV_SLOT_MARGIN = 8;

/**
 * The frame loop (DESIGN.md §2): ffmpeg decodes full-size yuv420p (stdout) and, when detection runs, a small
 * rgb24 copy (fd 3), frame-aligned. Frames wait in a bounded look-ahead buffer of preallocated slots until the
 * detections that concern them are known, are redacted in place and go to the sink. Pixels are copied once,
 * from the pipe into their slot.
 */
export class FrameLoop {
  private readonly pool: FramePool;
  private readonly frame: { data: Uint8Array; width: number; height: number };
  private readonly pending: { index: number; slot: number }[] = [];
  private readonly tracker: Tracker;
  private readonly ledger = new CoverageLedger();
  private readonly analysis: AnalysisStage | null;
  /** Offline: the decoder sends only the frames the schedule analyses (a `select` expression); live: every frame. */
  private readonly analysisSelect: string | undefined;
  private decoder: MediaProcess | undefined;
  private yuvReader: RawFrameReader | undefined;
  private received = 0;
  private decodeEnded = false;
  private sinkBlocked = false;
  private writesInFlight = 0;
  private emitted = 0;
  private failClosed = 0;
  private stopped = false;
  private settle: { resolve: (r: FrameLoopResult) => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly options: FrameLoopOptions) {
    const { source, detection, lookaheadMs } = options;
    this.analysisSelect = detection?.mode.kind === 'offline' ? scheduleSelectExpression(source.fps, detection.mode.analysisFps) : undefined;
    const frameBytes = yuv420pFrameBytes(source.size);
    const lookaheadFrames = detection ? Math.ceil((lookaheadMs / 1000) * source.fps) : 0;
    this.pool = new FramePool(lookaheadFrames + YUV_SLOT_MARGIN, frameBytes);
    this.frame = { data: this.pool.view(0), width: source.size.width, height: source.size.height };
    this.tracker = new Tracker({
      frameWidth: source.size.width,
      frameHeight: source.size.height,
      ttlMs: options.trackTtlMs,
      lookaheadMs,
      agePadding: DEFAULT_TRACKER_OPTIONS.agePadding,
      motionPadding: DEFAULT_TRACKER_OPTIONS.motionPadding,
    });
    this.analysis = detection
      ? new AnalysisStage({
          host: detection.host,
          pool: detection.host.framePool(rgb24FrameBytes(detection.analysisSize), ANALYSIS_SLOTS),
          mode: detection.mode,
          fps: source.fps,
          analysisSize: detection.analysisSize,
          sourceSize: source.size,
          classes: options.classes,
          decoderSelects: this.analysisSelect !== undefined,
          onOutcome: (_index, ptsMs, outcome) => {
            if (outcome.ok) this.tracker.addDetections(ptsMs, outcome.detections);
            this.ledger.record(ptsMs, outcome.ok);
            this.pump();
          },
        })
      : null;
  }

  /** Runs until the source ends (files) or `stop()` (live); resolves with counts, rejects on decoder failure. */
  run(): Promise<FrameLoopResult> {
    const { tools, source, detection } = this.options;
    const custom = this.options.decoder;
    const args = (custom?.args ?? decoderArgs)({
      input: source.input,
      inputOptions: source.inputOptions,
      inputFormat: source.inputFormat,
      realtime: source.realtime,
      output: source.size,
      crop: source.crop,
      constantRate: source.constantRate,
      upright: source.upright,
      analysis: detection?.analysisSize,
      analysisSelect: this.analysisSelect,
      ffmpegMajor: tools.ffmpegMajor,
    });
    const decoder = new MediaProcess(tools.ffmpeg, args, custom?.extraOutputs ?? (detection ? 1 : 0));
    this.decoder = decoder;
    custom?.onStart(decoder);
    // Frames complete in order, so the slot being filled is always the one acquired last.
    let filling = -1;
    this.yuvReader = new RawFrameReader(decoder.stdout, this.pool.slotBytes, {
      target: () => {
        filling = this.pool.acquire();
        return filling === -1 ? undefined : this.pool.view(filling);
      },
      frame: (index) => this.onYuvFrame(index, filling),
      end: () => {
        this.decodeEnded = true;
        this.pump();
      },
    });
    if (this.analysis && detection) {
      const analysis = this.analysis;
      const reader = new RawFrameReader(decoder.output(3), rgb24FrameBytes(detection.analysisSize), {
        target: analysis.target,
        frame: analysis.frame,
        end: () => {
          analysis.end();
          this.pump();
        },
      });
      analysis.resumeReader = () => reader.resume();
    }
    this.options.sink?.onDrain(() => {
      this.sinkBlocked = false;
      this.pump();
    });
    return new Promise<FrameLoopResult>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.options.sink?.onFailure((error) => this.abandon(error));
    });
  }

  /** The sink failed: nothing decoded can go anywhere, so the decoder is killed and the run rejects with the sink's reason. */
  private abandon(error: Error): void {
    const settle = this.settle;
    if (settle === undefined) return;
    this.settle = undefined;
    this.stopped = true;
    void (this.decoder?.discard() ?? Promise.resolve()).finally(() => settle.reject(error));
  }

  /** Counts so far (live metrics); the same figures `run` resolves with at the end. */
  snapshot(): FrameLoopResult {
    const counters = this.analysis?.counters ?? { analysed: 0, failed: 0, skipped: 0 };
    return { frames: this.emitted, failClosedFrames: this.failClosed, analysed: counters.analysed, analysisFailures: counters.failed, analysisSkipped: counters.skipped };
  }

  /** Live: stop the decoder; frames already decoded are still emitted (fail-closed rules unchanged). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.decoder?.stop();
  }

  private onYuvFrame(index: number, slot: number): void {
    this.options.mask?.apply({ data: this.pool.view(slot), width: this.frame.width, height: this.frame.height });
    this.pending.push({ index, slot });
    this.received = index + 1;
    this.pump();
  }

  /** Emits every head-of-queue frame whose analysis is settled, while the sink accepts frames. */
  private pump(): void {
    while (!this.sinkBlocked && this.pending.length > 0 && this.headReady()) {
      const head = this.pending.shift() as { index: number; slot: number };
      this.emit(head.index, head.slot);
    }
    this.maybeFinish();
  }

  private headReady(): boolean {
    const head = this.pending[0];
    if (head === undefined) return false;
    const analysis = this.analysis;
    const detection = this.options.detection;
    if (analysis === null || detection === null) return true;
    const horizon = frameTimeMs(head.index, this.options.source.fps) + this.options.lookaheadMs;
    if (detection.mode.kind === 'live') {
      const newest = frameTimeMs(this.received - 1, this.options.source.fps);
      return newest >= horizon || this.decodeEnded || this.pool.available === 0;
    }
    if (analysis.finished) return true;
    return frameTimeMs(analysis.coveredThroughIndex(), this.options.source.fps) >= horizon;
  }

  private emit(index: number, slot: number): void {
    const ptsMs = frameTimeMs(index, this.options.source.fps);
    const regions = this.redact(slot, ptsMs);
    this.options.onFrame?.({ index, ptsMs, regions });
    this.emitted += 1;
    const sink = this.options.sink;
    if (sink === null) {
      this.pool.release(slot);
      this.yuvReader?.resume();
      return;
    }
    this.writesInFlight += 1;
    const accepted = sink.write(this.pool.view(slot), () => {
      this.writesInFlight -= 1;
      this.pool.release(slot);
      this.yuvReader?.resume();
      this.maybeFinish();
    });
    if (!accepted) this.sinkBlocked = true;
  }

  private redact(slot: number, ptsMs: number): RedactedRegion[] {
    const frame: YuvFrame = { data: this.pool.view(slot), width: this.frame.width, height: this.frame.height };
    let regions: RedactedRegion[];
    const failClosed = this.options.detection !== null && mustRedactWholeFrame(ptsMs, this.ledger.at(ptsMs), this.options.maxDetectionAgeMs);
    if (failClosed) {
      this.failClosed += 1;
      redactWholeFrame(frame);
      this.options.onFailClosed?.();
      regions = [{ x: 0, y: 0, w: frame.width, h: frame.height, class: 'frame', source: 'failclosed' }];
    } else {
      regions = this.tracker.regionsAt(ptsMs).map((r) => ({ x: r.x, y: r.y, w: r.w, h: r.h, class: r.cls, source: r.source, ...(r.score === undefined ? {} : { score: r.score }) }));
      for (const region of regions) redactRegion(frame, region, this.options.style);
    }
    return regions;
  }

  private maybeFinish(): void {
    if (!this.decodeEnded || this.pending.length > 0 || this.writesInFlight > 0 || this.settle === undefined) return;
    // A stopping live loop does not wait for a detection still in flight: what is left is decided now (fail closed).
    if (this.analysis && !this.analysis.finished && !this.stopped) return;
    const settle = this.settle;
    this.settle = undefined;
    void this.decoder?.exited.then((exit) => {
      if (exit.code !== 0 && !this.stopped) {
        const reason = this.decoder?.stderrSummary() || `exit ${exit.code ?? exit.signal}`;
        settle.reject(new GatewayError('PGW_ERR_FFMPEG', `decoding failed (${reason})`, { code: exit.code }));
        return;
      }
      settle.resolve(this.snapshot());
    });
  }
}
