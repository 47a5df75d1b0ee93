import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CameraCounters } from './camera-protocol.js';

/** Per-camera Prometheus series (label `camera`); counters advance by the deltas of each stats report. */
export class CameraMetrics {
  private readonly frames: Counter<'camera' | 'stage'>;
  private readonly failClosed: Counter<'camera'>;
  private readonly reconnects: Counter<'camera'>;
  private readonly segments: Counter<'camera'>;
  private readonly originals: Counter<'camera' | 'outcome'>;
  private readonly queue: Gauge<'camera'>;
  private readonly up: Gauge<'camera'>;
  private readonly latency: Histogram<'camera'>;
  private readonly detectorLatency: Histogram<'camera'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.frames = new Counter({ name: 'pgw_camera_frames_total', help: 'Frames per stage: input (decoded), analysed, skipped (analysis dropped), output (redacted, encoded).', labelNames: ['camera', 'stage'], registers });
    this.failClosed = new Counter({ name: 'pgw_camera_fail_closed_frames_total', help: 'Frames redacted whole because no fresh detection covered them.', labelNames: ['camera'], registers });
    this.reconnects = new Counter({ name: 'pgw_camera_reconnects_total', help: 'Camera process restarts after a fault.', labelNames: ['camera'], registers });
    this.segments = new Counter({ name: 'pgw_camera_segments_total', help: 'Redacted segments written to the spool.', labelNames: ['camera'], registers });
    this.originals = new Counter({ name: 'pgw_camera_originals_total', help: 'Original segments: stored in the vault, refused (storage pressure) or failed.', labelNames: ['camera', 'outcome'], registers });
    this.queue = new Gauge({ name: 'pgw_camera_queue_frames', help: 'Frames decoded but not yet redacted (look-ahead buffer depth).', labelNames: ['camera'], registers });
    this.up = new Gauge({ name: 'pgw_camera_streaming', help: '1 while the camera streams, 0 otherwise.', labelNames: ['camera'], registers });
    this.latency = new Histogram({
      name: 'pgw_camera_frame_latency_seconds', help: 'Frame-loop latency: from a frame reaching the decoder to its redacted output.',
      labelNames: ['camera'], buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10], registers,
    });
    this.detectorLatency = new Histogram({
      name: 'pgw_camera_detector_latency_seconds', help: 'Time of one detection in the camera’s detector worker.',
      labelNames: ['camera'], buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2], registers,
    });
  }

  report(camera: string, delta: CameraCounters, queueDepth: number, latenciesMs: { frame: readonly number[]; detector: readonly number[] }): void {
    this.frames.inc({ camera, stage: 'input' }, delta.inputFrames);
    this.frames.inc({ camera, stage: 'analysed' }, delta.analysed);
    this.frames.inc({ camera, stage: 'skipped' }, delta.analysisSkipped);
    this.frames.inc({ camera, stage: 'output' }, delta.outputFrames);
    this.failClosed.inc({ camera }, delta.failClosedFrames);
    this.queue.set({ camera }, queueDepth);
    for (const ms of latenciesMs.frame) this.latency.observe({ camera }, ms / 1000);
    for (const ms of latenciesMs.detector) this.detectorLatency.observe({ camera }, ms / 1000);
  }

  streaming(camera: string, on: boolean): void {
    this.up.set({ camera }, on ? 1 : 0);
  }

  reconnected(camera: string): void {
    this.reconnects.inc({ camera });
  }

  segment(camera: string): void {
    this.segments.inc({ camera });
  }

  original(camera: string, outcome: 'stored' | 'refused' | 'failed'): void {
    this.originals.inc({ camera, outcome });
  }
}
