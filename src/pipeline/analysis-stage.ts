import type { FramePool } from '../media/frame-pool.js';
import type { FrameSize } from '../media/ffmpeg-args.js';
import { redactedDetectionClasses, type Detection, type ObjectClass } from '../vision/detector.js';
import type { DetectOutcome, DetectorHost } from '../vision/detector-host.js';
import { frameTimeMs, isScheduledForAnalysis, nextScheduledIndex } from './analysis-schedule.js';

export type AnalysisMode = { kind: 'offline'; analysisFps: number | 'all' } | { kind: 'live' };

export interface AnalysisStageOptions {
  readonly host: DetectorHost;
  readonly pool: FramePool;
  readonly mode: AnalysisMode;
  readonly fps: number;
  readonly analysisSize: FrameSize;
  readonly sourceSize: FrameSize;
  readonly classes: readonly ObjectClass[];
  /**
   * Offline: the decoder sends only the scheduled frames (its `analysisSelect`), so the reader's i-th frame is the
   * i-th scheduled one rather than frame i.
   */
  readonly decoderSelects: boolean;
  /** One analysis finished: detections in source pixels, or a failure. Called in stream order. */
  onOutcome(index: number, ptsMs: number, outcome: DetectOutcome): void;
}

export interface AnalysisCounters {
  analysed: number;
  failed: number;
  /** Live only: analysis frames skipped because the detector was busy (latest frame wins). */
  skipped: number;
}

/**
 * Feeds analysis frames (rgb24, in the detector's shared pool) to the detector worker with one detection in
 * flight. Offline: every scheduled frame is analysed in order and decoding waits for the detector.
 * Live: latest frame wins; an older waiting frame is replaced and counted as skipped, decoding never waits.
 */
export class AnalysisStage {
  readonly counters: AnalysisCounters = { analysed: 0, failed: 0, skipped: 0 };
  /** Called when a pool slot frees up, so a paused reader can continue. */
  resumeReader: () => void = () => undefined;
  private readonly waiting: { index: number; slot: number }[] = [];
  private inFlight: number | undefined;
  private acquired = -1;
  /** First frame index that can still bring an analysis (frames before it have all been seen). */
  private seen = 0;
  /** decoderSelects: the frame index of the next frame the reader delivers. */
  private nextDelivered = 0;
  private ended = false;
  private readonly scaleX: number;
  private readonly scaleY: number;
  private readonly redacted: ReadonlySet<ObjectClass>;

  constructor(private readonly options: AnalysisStageOptions) {
    this.scaleX = options.sourceSize.width / options.analysisSize.width;
    this.scaleY = options.sourceSize.height / options.analysisSize.height;
    this.redacted = redactedDetectionClasses(options.classes);
  }

  /** Reader callback: where analysis frame `index` goes (see RawFrameReader). */
  readonly target = (ordinal: number): Buffer | null | undefined => {
    const { mode, fps, pool } = this.options;
    const index = this.frameIndex(ordinal);
    if (mode.kind === 'offline' && !isScheduledForAnalysis(index, fps, mode.analysisFps)) return null;
    const slot = pool.acquire();
    if (slot === -1) {
      if (mode.kind === 'offline') return undefined;
      this.counters.skipped += 1;
      return null;
    }
    this.acquired = slot;
    return pool.view(slot);
  };

  readonly frame = (ordinal: number, buffer: Buffer | null): void => {
    const index = this.frameIndex(ordinal);
    const { mode, fps } = this.options;
    // Frames between two scheduled ones bring no analysis: once one scheduled frame is seen, so are they.
    this.seen = mode.kind === 'offline' ? nextScheduledIndex(index, fps, mode.analysisFps) : index + 1;
    if (this.options.decoderSelects) this.nextDelivered = this.seen;
    if (buffer === null) return;
    const slot = this.acquired;
    if (this.options.mode.kind === 'live' && this.waiting.length > 0) {
      for (const stale of this.waiting.splice(0)) this.options.pool.release(stale.slot);
      this.counters.skipped += 1;
    }
    this.waiting.push({ index, slot });
    this.dispatch();
  };

  readonly end = (): void => {
    this.ended = true;
  };

  /** Offline: every frame up to this index has been seen and every analysis up to it has finished. */
  coveredThroughIndex(): number {
    const firstOpen = this.inFlight ?? this.waiting[0]?.index ?? this.seen;
    return firstOpen - 1;
  }

  /** The analysis stream has ended and nothing is waiting or in flight. */
  get finished(): boolean {
    return this.ended && this.inFlight === undefined && this.waiting.length === 0;
  }

  /** Frame index of the reader's `ordinal`-th frame (frames arrive in order, one call pair per frame). */
  private frameIndex(ordinal: number): number {
    return this.options.decoderSelects ? this.nextDelivered : ordinal;
  }

  private dispatch(): void {
    if (this.inFlight !== undefined) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.inFlight = next.index;
    const { analysisSize, sourceSize, fps, host } = this.options;
    const ptsMs = frameTimeMs(next.index, fps);
    const info = { index: next.index, ptsMs, sourceWidth: sourceSize.width, sourceHeight: sourceSize.height };
    void host.detect(next.slot, analysisSize.width, analysisSize.height, info).then((outcome) => {
      this.options.pool.release(next.slot);
      this.inFlight = undefined;
      if (outcome.ok) this.counters.analysed += 1;
      else this.counters.failed += 1;
      this.options.onOutcome(next.index, ptsMs, outcome.ok ? { ok: true, detections: this.toSource(outcome.detections) } : outcome);
      this.dispatch();
      this.resumeReader();
    });
  }

  private toSource(detections: readonly Detection[]): Detection[] {
    return detections
      .filter((d) => this.redacted.has(d.cls))
      .map((d) => ({ x: d.x * this.scaleX, y: d.y * this.scaleY, w: d.w * this.scaleX, h: d.h * this.scaleY, cls: d.cls, score: d.score }));
  }
}
