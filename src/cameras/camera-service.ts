import { FailClosedAuditor } from '../redact/fail-closed-auditor.js';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { CameraStore } from '../catalog/camera-store.js';
import { cameraSchema, UPLOAD_SOURCE, type CameraConfig, type CamerasConfig } from '../config/sections/cameras.js';
import type { PipelineConfig } from '../config/sections/pipeline.js';
import { CameraMetrics } from '../pipeline/camera-metrics.js';
import type { CameraLoopSettings } from '../pipeline/camera-protocol.js';
import { CameraSupervisor } from '../pipeline/camera-supervisor.js';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort, OriginalsPort, OutboxPort, StoragePressurePort } from '../shared/ports.js';
import type { CameraStatus, Principal } from '../shared/types.js';
import type { ObjectClass } from '../vision/detector.js';
import type { DetectorSpec } from '../vision/registry.js';
import { PreviewHub } from './preview-hub.js';
import { SegmentPublisher } from './segment-publisher.js';

export interface CameraView extends CameraConfig {
  /** `config`: defined in the configuration file (read-only here); `api`: added through the API. */
  origin: 'config' | 'api';
}

export interface CameraServiceOptions {
  cameras: CamerasConfig;
  pipeline: PipelineConfig;
  dataDir: string;
  store: CameraStore;
  originals: OriginalsPort;
  outbox?: OutboxPort;
  pressure?: StoragePressurePort;
  audit: AuditPort;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  /** Which detector a camera's profile builds; tests substitute scripted detectors. */
  detectorFor?: (camera: CameraConfig) => DetectorSpec;
}

/** The built-in demo camera: a test pattern through the whole live loop (`pipeline.demoCamera`). */
export const DEMO_CAMERA: CameraConfig = cameraSchema.parse({ id: 'demo', source: 'testsrc:1280x720@25' });

/**
 * The camera registry (configuration + API) and its running fleet: one supervisor and one process per
 * enabled camera. Adding, changing or removing a camera starts, restarts or stops that camera only.
 */
export class CameraService {
  private readonly supervisors = new Map<string, CameraSupervisor>();
  private readonly configured = new Map<string, CameraConfig>();
  private readonly metrics: CameraMetrics;
  /** Fail-closed frames become rate-limited audit events per camera (A1, P1). */
  private readonly failClosedAuditors = new Map<string, FailClosedAuditor>();
  readonly publisher: SegmentPublisher;
  readonly previews = new PreviewHub();
  private running = false;

  constructor(private readonly options: CameraServiceOptions) {
    const devices = options.cameras.devices.length === 0 && options.pipeline.demoCamera ? [DEMO_CAMERA] : options.cameras.devices;
    for (const camera of devices) this.configured.set(camera.id, camera);
    this.metrics = new CameraMetrics(options.registry);
    this.publisher = new SegmentPublisher({
      originals: options.originals, clock: options.clock, logger: options.logger.child({ module: 'cameras' }),
      maxWaitMs: options.pipeline.segmentSeconds * 2000 + 5000,
      ...(options.outbox ? { outbox: options.outbox } : {}), ...(options.pressure ? { pressure: options.pressure } : {}),
      onSegment: (camera) => this.metrics.segment(camera),
      onOriginal: (camera, outcome) => this.metrics.original(camera, outcome),
    });
  }

  start(): void {
    this.running = true;
    for (const camera of this.list()) if (streams(camera)) this.launch(camera);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.supervisors.values()].map((supervisor) => supervisor.stop()));
    for (const auditor of this.failClosedAuditors.values()) auditor.flush();
    this.supervisors.clear();
    this.publisher.close();
  }

  list(): CameraView[] {
    const fromConfig = [...this.configured.values()].map((camera) => ({ ...camera, origin: 'config' as const }));
    const fromApi = this.options.store.list().filter((camera) => !this.configured.has(camera.id)).map((camera) => ({ ...camera, origin: 'api' as const }));
    return [...fromConfig, ...fromApi].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): CameraView {
    const camera = this.list().find((candidate) => candidate.id === id);
    if (!camera) throw new GatewayError('PGW_ERR_NOT_FOUND', `no camera ${id}`, { camera: id });
    return camera;
  }

  /** Adds (`create`) or replaces a camera defined through the API, then (re)starts only that camera. */
  async put(principal: Principal, input: unknown, mode: 'create' | 'replace'): Promise<CameraView> {
    const parsed = cameraSchema.safeParse(input);
    if (!parsed.success) {
      throw new GatewayError('PGW_ERR_VALIDATION', parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '), {});
    }
    const camera = parsed.data;
    if (this.configured.has(camera.id)) throw new GatewayError('PGW_ERR_CONFLICT', `camera ${camera.id} is defined in the configuration file`, { camera: camera.id });
    const exists = this.options.store.list().some((c) => c.id === camera.id);
    if (mode === 'create' && exists) throw new GatewayError('PGW_ERR_CONFLICT', `camera ${camera.id} exists`, { camera: camera.id });
    if (mode === 'replace' && !exists) throw new GatewayError('PGW_ERR_NOT_FOUND', `no camera ${camera.id}`, { camera: camera.id });
    this.audit(principal, mode === 'create' ? 'camera.create' : 'camera.update', camera);
    this.options.store.put(camera, principal.subject, this.options.clock.now());
    await this.supervisors.get(camera.id)?.stop();
    this.supervisors.delete(camera.id);
    if (this.running && streams(camera)) this.launch(camera);
    return { ...camera, origin: 'api' };
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const camera = this.get(id);
    if (camera.origin === 'config') throw new GatewayError('PGW_ERR_CONFLICT', `camera ${id} is defined in the configuration file`, { camera: id });
    this.audit(principal, 'camera.delete', camera);
    this.options.store.remove(id);
    await this.supervisors.get(id)?.stop();
    this.supervisors.delete(id);
  }

  status(id: string): CameraStatus {
    const camera = this.get(id);
    const supervisor = this.supervisors.get(id);
    if (supervisor) return supervisor.status();
    return {
      id: camera.id, state: camera.enabled ? 'stopped' : 'disabled', inputFps: 0, analysedFps: 0, outputFps: 0, droppedFrames: 0,
      failClosedFrames: 0, reconnects: 0, lastError: null, lastErrorAt: null, width: null, height: null, segments: 0,
    };
  }

  /** Enabled cameras that are not streaming, for `/readyz`. */
  notStreaming(): string[] {
    return [...this.supervisors.values()].filter((s) => s.status().state !== 'streaming').map((s) => `camera:${s.id}`);
  }

  private audit(principal: Principal, action: string, camera: CameraConfig): void {
    this.options.audit.append({
      actor: principal.subject, role: principal.roles.join(','), action, object: `camera:${camera.id}`, outcome: 'success',
      details: { kind: camera.kind, masks: camera.masks.length, audio: camera.audio.enabled, ...(camera.audio.enabled ? { justification: camera.audio.justification } : {}) },
    });
  }

  private launch(camera: CameraConfig): void {
    const { options } = this;
    const spoolDir = join(options.dataDir, 'spool', camera.id);
    this.publisher.recover(camera, spoolDir);
    const supervisor = new CameraSupervisor({
      spec: {
        camera,
        workDir: join(options.dataDir, 'work', 'cameras', camera.id),
        spoolDir,
        detector: options.detectorFor?.(camera) ?? detectorOf(camera, options.pipeline),
        classes: [...options.pipeline.classes] as ObjectClass[],
        settings: loopSettings(options.pipeline, options.cameras),
      },
      backoff: { minMs: options.cameras.reconnectMinMs, maxMs: options.cameras.reconnectMaxMs },
      stableMs: options.cameras.stableMs,
      clock: options.clock,
      logger: options.logger.child({ module: 'cameras' }),
      events: {
        original: (id, original) => void this.publisher.original(id, { ...original, privacyMasks: camera.masks }),
        segment: (id, segment) => this.publisher.segment(camera, segment),
        stats: (id, delta, depth, latencies) => {
          this.metrics.report(id, delta, depth, latencies);
          if (delta.failClosedFrames > 0) this.failClosedAuditor(id).record(delta.failClosedFrames);
        },
        preview: (id, jpeg) => this.previews.publish(id, jpeg),
        restarted: (id) => this.metrics.reconnected(id),
        streaming: (id, on) => this.metrics.streaming(id, on),
      },
    });
    this.supervisors.set(camera.id, supervisor);
    supervisor.start();
  }

  private failClosedAuditor(cameraId: string): FailClosedAuditor {
    let auditor = this.failClosedAuditors.get(cameraId);
    if (!auditor) {
      auditor = new FailClosedAuditor(this.options.audit, this.options.clock, this.options.logger, `camera:${cameraId}`);
      this.failClosedAuditors.set(cameraId, auditor);
    }
    return auditor;
  }
}

function streams(camera: CameraConfig): boolean {
  return camera.enabled && camera.source !== UPLOAD_SOURCE;
}

function detectorOf(camera: CameraConfig, pipeline: PipelineConfig): DetectorSpec {
  if (camera.profile === 'none') return { kind: 'none' };
  return { kind: 'profile', profile: camera.profile, modelsDir: pipeline.modelsDir, classes: [...pipeline.classes] as ObjectClass[] };
}

function loopSettings(pipeline: PipelineConfig, cameras: CamerasConfig): CameraLoopSettings {
  return {
    lookaheadMs: pipeline.lookaheadMs, maxDetectionAgeMs: pipeline.maxDetectionAgeMs, trackTtlMs: pipeline.trackTtlMs,
    detectTimeoutMs: pipeline.detectTimeoutMs, detectorMaxRestarts: pipeline.detectorMaxRestarts, detectorRestartWindowMs: pipeline.detectorRestartWindowMs,
    encoderPreset: pipeline.encoderPreset, encoderCrf: pipeline.encoderCrf, segmentSeconds: pipeline.segmentSeconds, lowLatency: pipeline.liveLowLatency,
    stallMs: cameras.stallMs, rtspTimeoutMs: cameras.rtspTimeoutMs, previewFps: cameras.previewFps, maxPixels: cameras.streamMaxPixels,
  };
}
