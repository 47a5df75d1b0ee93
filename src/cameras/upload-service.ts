import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CameraConfig } from '../config/sections/cameras.js';
import { probeMedia, type MediaInfo } from '../media/media-probe.js';
import type { MediaTools } from '../media/media-tools.js';
import { moveIntoSpool, segmentIdOf } from '../pipeline/camera-segmenter.js';
import type { FileRedactor } from '../pipeline/file-redactor.js';
import type { RedactionReport } from '../pipeline/frame-report.js';
import type { Clock } from '../shared/clock.js';
import { describeError, GatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { StoragePressurePort } from '../shared/ports.js';
import type { Principal, UploadJob } from '../shared/types.js';
import { recordingTimeOf, type RecordingTime } from './recording-time.js';
import type { SegmentPublisher } from './segment-publisher.js';

export interface UploadServiceOptions {
  dataDir: string;
  maxBytes: number;
  /** Largest frame (width × height) accepted: decoding and analysis memory grow with it. */
  maxPixels: number;
  /** Oldest recording start an upload may claim, as an age at upload. */
  maxAgeMs: number;
  tools: MediaTools;
  clock: Clock;
  logger: Logger;
  publisher: SegmentPublisher;
  pressure?: StoragePressurePort;
  camera(id: string): CameraConfig;
  /** The offline redactor (one detector worker for every job), built on first use. */
  redactor(): Promise<FileRedactor>;
}

function frameTooLarge(info: MediaInfo, maxPixels: number): GatewayError {
  const megapixels = (pixels: number): string => `${(pixels / 1e6).toFixed(1)} MP`;
  return new GatewayError(
    'PGW_ERR_INPUT_INVALID',
    `upload frames are ${info.width}×${info.height} (${megapixels(info.width * info.height)}), over the limit of ${megapixels(maxPixels)} (cameras.uploadMaxPixels)`,
    { width: info.width, height: info.height, maxPixels },
  );
}

/** What the uploader says besides the clip itself. */
export interface UploadOptions {
  /** Content-Length, when sent: a larger upload is refused before any byte is stored. */
  readonly declaredBytes?: number;
  /** When recording started, by the device (epoch ms). */
  readonly recordedAtMs?: number;
}

/** Jobs kept for `GET /v1/jobs/:id` after they finished. */
const JOBS_KEPT = 500;

function sizeLimit(maxBytes: number, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) callback(new GatewayError('PGW_ERR_PAYLOAD_TOO_LARGE', `upload exceeds ${maxBytes} bytes`, { maxBytes }));
      else callback(null, chunk);
    },
  });
}

/**
 * Body-worn uploads (H6): the clip streams into a private temp file (size-limited), is checked to be video,
 * then one job at a time encrypts the original into the vault (P2), redacts it through the same frame loop
 * as files (createFileRedactor), and publishes the redacted segment with its sidecar. The temp file is
 * removed on every path, success or failure, so a bad upload leaves nothing behind.
 */
export class UploadService {
  private readonly jobs = new Map<string, UploadJob>();
  private queue: Promise<void> = Promise.resolve();
  private readonly dir: string;

  constructor(private readonly options: UploadServiceOptions) {
    this.dir = join(options.dataDir, 'work', 'uploads');
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  async accept(principal: Principal, cameraId: string, body: Readable, options: UploadOptions = {}): Promise<UploadJob> {
    const camera = this.options.camera(cameraId);
    this.checkAdmission(principal, camera, options.declaredBytes);
    const id = `job_${randomBytes(12).toString('hex')}`;
    const path = join(this.dir, `${id}.upload`);
    const counter = { bytes: 0 };
    let info: MediaInfo;
    let recorded: RecordingTime;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await pipeline(body, sizeLimit(this.options.maxBytes, counter), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      if (counter.bytes === 0) throw new GatewayError('PGW_ERR_INPUT_INVALID', 'upload is empty (0 bytes)', {});
      info = await probeMedia(this.options.tools, path);
      if (info.kind !== 'video') throw new GatewayError('PGW_ERR_INPUT_INVALID', 'upload is an image, not a video clip', {});
      if (info.width * info.height > this.options.maxPixels) throw frameTooLarge(info, this.options.maxPixels);
      recorded = recordingTimeOf({
        uploadedAtMs: this.options.clock.now(), durationMs: Math.round(info.durationMs ?? 0), maxAgeMs: this.options.maxAgeMs,
        ...(options.recordedAtMs === undefined ? {} : { statedMs: options.recordedAtMs }),
        ...(info.createdAtMs === undefined ? {} : { createdAtMs: info.createdAtMs }),
      });
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    if (recorded.ignoredCreationMs !== undefined) {
      this.options.logger.warn({ job: id, camera: cameraId, creationTime: new Date(recorded.ignoredCreationMs).toISOString() }, 'upload: the clip\'s creation time is implausible (device clock?); filed under its upload time');
    }
    const job: UploadJob = {
      id, camera: cameraId, recordedAt: recorded.startMs, recordedAtSource: recorded.source, state: 'queued', bytes: counter.bytes,
      framesDone: 0, framesExpected: info.expectedFrames ?? null, error: null, segmentId: null, createdAt: this.options.clock.now(), finishedAt: null,
    };
    this.remember(job);
    this.queue = this.queue.then(() => this.run(job, camera, path, recorded));
    return { ...job };
  }

  private checkAdmission(principal: Principal, camera: CameraConfig, declaredBytes: number | undefined): void {
    if (camera.kind !== 'bodyworn') throw new GatewayError('PGW_ERR_CONFLICT', `camera ${camera.id} is not a body-worn camera`, { camera: camera.id });
    if (principal.deviceId !== undefined && principal.deviceId !== camera.id) {
      throw new GatewayError('PGW_ERR_FORBIDDEN', `device ${principal.deviceId} may only upload as itself`, { camera: camera.id });
    }
    if (declaredBytes !== undefined && declaredBytes > this.options.maxBytes) {
      throw new GatewayError('PGW_ERR_PAYLOAD_TOO_LARGE', `upload of ${declaredBytes} bytes exceeds ${this.options.maxBytes} bytes`, { maxBytes: this.options.maxBytes });
    }
    if (this.options.pressure && !this.options.pressure.acceptingOriginals()) {
      throw new GatewayError('PGW_ERR_UNAVAILABLE', 'storage is under pressure: uploads are refused until the spool drains', {});
    }
  }

  job(id: string): UploadJob {
    const job = this.jobs.get(id);
    if (!job) throw new GatewayError('PGW_ERR_NOT_FOUND', `no job ${id}`, { job: id });
    return { ...job };
  }

  /** Waits for every queued job (shutdown, tests). */
  async drain(): Promise<void> {
    await this.queue;
  }

  private async run(job: UploadJob, camera: CameraConfig, path: string, recorded: RecordingTime): Promise<void> {
    job.state = 'running';
    const output = join(this.dir, `${job.id}.mp4`);
    let outcome: { state: 'done' | 'failed'; error: string | null } = { state: 'done', error: null };
    try {
      const redactor = await this.options.redactor();
      const report = await redactor.redactFile(path, {
        outputPath: output,
        masks: camera.masks,
        onProgress: (done) => {
          job.framesDone = done;
        },
      });
      const { startMs, endMs } = recorded;
      await this.options.publisher.original(camera.id, { sequence: 0, startMs, endMs, data: await readFile(path), privacyMasks: camera.masks });
      await this.publish(job, camera, output, report, recorded);
    } catch (error) {
      outcome = { state: 'failed', error: describeError(error) };
      this.options.logger.info({ job: job.id, camera: camera.id, reason: outcome.error }, 'upload job failed');
    } finally {
      await rm(path, { force: true });
      await rm(output, { force: true });
      // The job reads as finished only once nothing of the upload is left in the work directory.
      Object.assign(job, outcome, { finishedAt: this.options.clock.now() });
    }
  }

  private async publish(job: UploadJob, camera: CameraConfig, output: string, report: RedactionReport, recorded: RecordingTime): Promise<void> {
    const { startMs, endMs } = recorded;
    const segmentId = `${segmentIdOf(camera.id, startMs)}-${job.id.slice(4, 12)}`;
    const spoolDir = join(this.options.dataDir, 'spool', camera.id);
    await mkdir(spoolDir, { recursive: true });
    const moved = await moveIntoSpool(output, spoolDir, segmentId);
    const regionsPerClass: Record<string, number> = {};
    for (const frame of report.frames) {
      for (const region of frame.regions) if (region.source !== 'failclosed') regionsPerClass[region.class] = (regionsPerClass[region.class] ?? 0) + 1;
    }
    this.options.publisher.segment(camera, {
      segmentId, ...moved, startMs, endMs, frames: report.frameCount, failClosedFrames: report.failClosedFrames, regionsPerClass,
      masks: camera.masks.length, width: report.width, height: report.height, fps: report.fps ?? 0, detector: report.detector,
      timeSource: recorded.source,
    });
    job.segmentId = segmentId;
  }

  private remember(job: UploadJob): void {
    this.jobs.set(job.id, job);
    if (this.jobs.size > JOBS_KEPT) {
      const oldest = this.jobs.keys().next().value;
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
  }
}
