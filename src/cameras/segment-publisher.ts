import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CameraConfig } from '../config/sections/cameras.js';
import type { FinishedSegment } from '../pipeline/camera-protocol.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { OriginalsPort, OutboxPort, StoragePressurePort } from '../shared/ports.js';
import { PENDING_REPORT_SUFFIX, pendingReportPathOf, SEGMENT_SIDECAR_SCHEMA, sidecarPathOf, type SegmentSidecar } from '../shared/segments.js';
import type { MaskPolygon } from '../shared/types.js';
import { writeFileDurably } from '../shared/durable-file.js';

/** What became of one original segment: in the vault, or refused because the spool was under pressure. */
interface OriginalOutcome {
  startMs: number;
  endMs: number;
  stored?: { originalId: string; sha256: string };
  refused?: boolean;
}

interface PendingSegment {
  camera: CameraConfig;
  segment: FinishedSegment;
  receivedAt: number;
}

export interface SegmentPublisherOptions {
  originals: OriginalsPort;
  outbox?: OutboxPort;
  pressure?: StoragePressurePort;
  clock: Clock;
  logger: Logger;
  /** A segment waits at most this long for the originals covering it before its sidecar is written. */
  maxWaitMs: number;
  onSegment?: (camera: string) => void;
  onOriginal?: (camera: string, outcome: 'stored' | 'refused' | 'failed') => void;
}

/** Originals kept per camera to match against later segments. */
const OUTCOMES_KEPT = 32;

/**
 * Joins a camera's two outputs: originals go to the vault (never to disk in plaintext, P2; refused while the
 * spool is under pressure, H3), redacted segments get a sidecar naming the originals they derive from, written
 * durably next to the segment, and both are enqueued to the uplink outbox.
 */
export class SegmentPublisher {
  private readonly outcomes = new Map<string, OriginalOutcome[]>();
  private readonly pending: PendingSegment[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: SegmentPublisherOptions) {
    this.timer = setInterval(() => this.flush(false), 1000);
    this.timer.unref();
  }

  /**
   * Stores an original in the vault (unless the spool is under pressure) and says what became of it. `segmentId`
   * names it in the vault (default: camera, start and sequence); storing the same id and bytes again is a no-op.
   */
  async original(cameraId: string, original: { sequence: number; startMs: number; endMs: number; data: Buffer; privacyMasks?: readonly MaskPolygon[]; segmentId?: string }): Promise<'stored' | 'refused' | 'failed'> {
    const outcome: OriginalOutcome = { startMs: original.startMs, endMs: original.endMs };
    let result: 'stored' | 'refused' | 'failed' = 'stored';
    if (this.options.pressure && !this.options.pressure.acceptingOriginals()) {
      outcome.refused = true;
      result = 'refused';
    } else {
      try {
        outcome.stored = await this.options.originals.store({
          segmentId: original.segmentId ?? `${cameraId}-original-${original.startMs}-${original.sequence}`, cameraId,
          startMs: original.startMs, endMs: original.endMs, container: 'mp4', data: original.data, privacyMasks: original.privacyMasks ?? [],
        });
      } catch (error) {
        result = 'failed';
        this.options.logger.error({ camera: cameraId, err: error }, 'original could not be stored');
      }
    }
    this.options.onOriginal?.(cameraId, result);
    original.data.fill(0);
    const list = this.outcomes.get(cameraId) ?? [];
    list.push(outcome);
    this.outcomes.set(cameraId, list.slice(-OUTCOMES_KEPT));
    this.flush(false);
    return result;
  }

  segment(camera: CameraConfig, segment: FinishedSegment): void {
    this.pending.push({ camera, segment, receivedAt: this.options.clock.now() });
    this.flush(false);
  }

  /** Writes every sidecar whose originals are known; `all` writes the rest too (camera stopped). */
  flush(all: boolean): void {
    const now = this.options.clock.now();
    for (let i = 0; i < this.pending.length;) {
      const item = this.pending[i] as PendingSegment;
      const known = this.outcomes.get(item.camera.id) ?? [];
      const covered = known.some((o) => o.endMs >= item.segment.endMs);
      if (all || covered || now - item.receivedAt > this.options.maxWaitMs) {
        this.pending.splice(i, 1);
        this.publish(item, covered);
      } else i += 1;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush(true);
  }

  /**
   * Publishes the segments of `camera` that reached the spool but whose sidecar was never written or enqueued: the
   * gateway died in between. Their camera process's report lies beside them; the originals come from the vault.
   * Call before the camera runs. Returns how many were published.
   */
  recover(camera: CameraConfig, spoolDir: string): number {
    if (!existsSync(spoolDir)) return 0;
    let recovered = 0;
    for (const name of readdirSync(spoolDir).filter((n) => n.endsWith(PENDING_REPORT_SUFFIX))) {
      try {
        if (this.recoverOne(camera, spoolDir, name)) recovered += 1;
      } catch (error) {
        // The report stays: the next start tries again.
        this.options.logger.error({ camera: camera.id, report: name, reason: describeError(error) }, 'segment left without a sidecar could not be published');
      }
    }
    if (recovered > 0) this.options.logger.warn({ camera: camera.id, segments: recovered }, 'published segments an earlier run left without a sidecar');
    return recovered;
  }

  private recoverOne(camera: CameraConfig, spoolDir: string, reportName: string): boolean {
    const reportPath = join(spoolDir, reportName);
    const segment = readReport(reportPath, join(spoolDir, `${reportName.slice(0, -PENDING_REPORT_SUFFIX.length)}.mp4`));
    if (!segment) {
      // No segment beside it: the gateway died before the move (the unfinished file is cleared with the work dir).
      rmSync(reportPath, { force: true });
      return false;
    }
    if (this.pending.some((item) => item.segment.path === segment.path)) return false;
    const sidecarPath = sidecarPathOf(segment.path);
    if (existsSync(sidecarPath)) {
      this.announce(camera, segment, JSON.parse(readFileSync(sidecarPath, 'utf8')) as SegmentSidecar);
      return true;
    }
    const originals = this.options.originals.overlapping(camera.id, segment.startMs, segment.endMs).map(({ originalId, sha256, startMs, endMs }) => ({ startMs, endMs, stored: { originalId, sha256 } }));
    this.publish({ camera, segment, receivedAt: this.options.clock.now() }, originals.some((o) => o.endMs >= segment.endMs), originals);
    return true;
  }

  private publish({ camera, segment }: PendingSegment, complete: boolean, originals?: readonly OriginalOutcome[]): void {
    const overlapping = originals ?? (this.outcomes.get(camera.id) ?? []).filter((o) => o.endMs > segment.startMs && o.startMs < segment.endMs);
    const sidecar = sidecarOf(camera, segment, overlapping, complete);
    try {
      writeFileDurably(sidecarPathOf(segment.path), `${JSON.stringify(sidecar, null, 2)}\n`);
      this.announce(camera, segment, sidecar);
    } catch (error) {
      this.options.logger.error({ camera: camera.id, segment: segment.segmentId, reason: describeError(error) }, 'segment could not be published');
    }
  }

  /** Enqueues a segment and its written sidecar (idempotent per key), then drops its camera process's report. */
  private announce(camera: CameraConfig, segment: FinishedSegment, sidecar: SegmentSidecar): void {
    this.options.outbox?.enqueue({ kind: 'segment', key: `${segment.segmentId}:${segment.sha256}`, group: camera.id, filePath: segment.path, contentType: 'video/mp4' });
    this.options.outbox?.enqueue({ kind: 'sidecar', key: `${segment.segmentId}.json:${segment.sha256}`, group: camera.id, body: sidecar });
    rmSync(pendingReportPathOf(segment.path), { force: true });
    this.options.onSegment?.(camera.id);
  }
}

/** The report at `path` of the segment at `segmentPath`, when both are there and the report names that segment. */
function readReport(path: string, segmentPath: string): FinishedSegment | undefined {
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as Partial<FinishedSegment>;
    const valid = report.segmentId === basename(segmentPath, '.mp4') && typeof report.sha256 === 'string' && typeof report.startMs === 'number' && typeof report.endMs === 'number';
    return valid && existsSync(segmentPath) ? { ...(report as FinishedSegment), path: segmentPath } : undefined;
  } catch {
    return undefined;
  }
}

export function sidecarOf(camera: CameraConfig, segment: FinishedSegment, originals: readonly OriginalOutcome[], complete: boolean): SegmentSidecar {
  return {
    schema: SEGMENT_SIDECAR_SCHEMA,
    segmentId: segment.segmentId,
    camera: camera.id,
    cameraKind: camera.kind,
    retentionClass: camera.retentionClass,
    start: new Date(segment.startMs).toISOString(),
    end: new Date(segment.endMs).toISOString(),
    startMs: segment.startMs,
    endMs: segment.endMs,
    timeSource: segment.timeSource ?? 'gateway',
    frameCount: segment.frames,
    fps: segment.fps,
    width: segment.width,
    height: segment.height,
    regionsPerClass: segment.regionsPerClass,
    failClosedFrames: segment.failClosedFrames,
    privacyMasks: segment.masks,
    audio: false,
    detector: segment.detector,
    file: { name: basename(segment.path), bytes: segment.bytes, sha256: segment.sha256 },
    originals: originals.filter((o) => o.stored).map((o) => ({ originalId: o.stored?.originalId, sha256: o.stored?.sha256, startMs: o.startMs, endMs: o.endMs })),
    originalsRefused: originals.filter((o) => o.refused).length,
    originalsComplete: complete,
  };
}
