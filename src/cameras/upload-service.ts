import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CameraConfig } from '../config/sections/cameras.js';
import { encryptingStream, fileKeyBytes, fileKeyOf, forgetFileKey, newFileKey, readDecrypted, type FileKey } from '../media/encrypted-file.js';
import { probeMedia, type MediaInfo } from '../media/media-probe.js';
import type { MediaTools } from '../media/media-tools.js';
import { moveIntoSpool } from '../pipeline/camera-segmenter.js';
import type { FileRedactor } from '../pipeline/file-redactor.js';
import type { RedactionReport } from '../pipeline/frame-report.js';
import type { Clock } from '../shared/clock.js';
import { describeError, GatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { writeFileDurably } from '../shared/durable-file.js';
import type { KeySealPort, SealedKey, StoragePressurePort } from '../shared/ports.js';
import { segmentIdOf } from '../shared/segments.js';
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
  /** Seals each clip's key (the vault), so a waiting clip is ciphertext on disk and still readable after a restart. */
  keys: KeySealPort;
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

function sizeLimit(maxBytes: number, counter: { bytes: number; hash: Hash }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      counter.hash.update(chunk);
      if (counter.bytes > maxBytes) callback(new GatewayError('PGW_ERR_PAYLOAD_TOO_LARGE', `upload exceeds ${maxBytes} bytes`, { maxBytes }));
      else callback(null, chunk);
    },
  });
}

/**
 * An accepted upload as it is kept on disk beside its clip (`<id>.json`), so that a job the gateway acknowledged
 * with 202 survives a stop or a crash and is run at the next start.
 */
interface JobRecord {
  readonly id: string;
  readonly camera: string;
  readonly bytes: number;
  readonly framesExpected: number | null;
  readonly createdAt: number;
  readonly recorded: RecordingTime;
  /** SHA-256 of the clip as received, checked when it is read back for the vault. */
  readonly sha256: string;
  /** The clip's file key, sealed by the vault's KEK (the clip lies on disk encrypted under it). */
  readonly sealedKey: SealedKey;
  /** Starts at which the job was resumed; a clip that keeps bringing the gateway down is given up. */
  readonly resumed?: number;
}

/** A job resumed this many times without finishing is failed, so that one clip cannot stop every later start. */
const MAX_RESUMES = 3;

const JOB_ID = /^job_[0-9a-f]{24}$/;

function isJobRecord(value: unknown): value is JobRecord {
  const record = value as Partial<JobRecord> | null;
  return typeof record?.id === 'string' && JOB_ID.test(record.id) && typeof record.camera === 'string' && typeof record.bytes === 'number'
    && typeof record.createdAt === 'number' && typeof record.recorded?.startMs === 'number' && typeof record.recorded.endMs === 'number'
    && typeof record.sha256 === 'string' && typeof record.sealedKey?.kekId === 'string' && typeof record.sealedKey.wrapped === 'string';
}

async function readRecord(path: string): Promise<JobRecord | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return isJobRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Flushes a received clip to disk before the upload is acknowledged, so an accepted job survives power loss. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Body-worn uploads (H6): the clip streams, encrypted under its own key (P2), into a private temp file
 * (size-limited), is checked to be video and recorded as an accepted job; then one job at a time encrypts the original into the vault (P2), redacts it
 * through the same frame loop as files (createFileRedactor), and publishes the redacted segment with its
 * sidecar. A finished job (done or failed) leaves nothing behind. A job cut short by a stop or a crash keeps
 * its clip and record (0600, in a 0700 directory) and runs again at the next start (`resume`), because the
 * device was told it was accepted and may have deleted its own copy.
 */
export class UploadService {
  private readonly jobs = new Map<string, UploadJob>();
  private queue: Promise<void> = Promise.resolve();
  private readonly dir: string;
  /** Aborts the running job's redaction when the gateway stops. */
  private readonly stopping = new AbortController();

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
    const path = this.clipPath(id);
    const counter = { bytes: 0, hash: createHash('sha256') };
    const fileKey = newFileKey();
    let record: JobRecord;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Encrypted from the first byte: the original never lies on disk in plaintext (P2), even after kill -9.
      await pipeline(body, sizeLimit(this.options.maxBytes, counter), encryptingStream(fileKey), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      if (counter.bytes === 0) throw new GatewayError('PGW_ERR_INPUT_INVALID', 'upload is empty (0 bytes)', {});
      const info = await probeMedia(this.options.tools, path, fileKey);
      if (info.kind !== 'video') throw new GatewayError('PGW_ERR_INPUT_INVALID', 'upload is an image, not a video clip', {});
      if (info.width * info.height > this.options.maxPixels) throw frameTooLarge(info, this.options.maxPixels);
      record = {
        id, camera: cameraId, bytes: counter.bytes, framesExpected: info.expectedFrames ?? null, createdAt: this.options.clock.now(),
        recorded: this.recordingTime(id, info, options), sha256: counter.hash.digest('hex'), sealedKey: await this.options.keys.sealKey(fileKeyBytes(fileKey), Buffer.from(id)),
      };
      await syncFile(path);
      writeFileDurably(this.recordPath(id), JSON.stringify(record), 0o600);
    } catch (error) {
      forgetFileKey(fileKey);
      await rm(path, { force: true });
      throw error;
    }
    return { ...this.enqueue(record, fileKey) };
  }

  /**
   * Runs the jobs a stop or a crash left (clip and record present) and removes whatever else is in the work
   * directory: clips never acknowledged (no record), records of finished jobs, half-written outputs.
   */
  async resume(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    const records: JobRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const record = await readRecord(join(this.dir, name));
      if (record && names.includes(`${record.id}.upload`)) records.push(record);
    }
    const kept = new Set(records.flatMap((r) => [`${r.id}.json`, `${r.id}.upload`]));
    for (const name of names.filter((n) => !kept.has(n))) await rm(join(this.dir, name), { force: true, recursive: true });
    const resumed: string[] = [];
    for (const record of records.sort((a, b) => a.createdAt - b.createdAt)) {
      const attempt = { ...record, resumed: (record.resumed ?? 0) + 1 };
      if (attempt.resumed > MAX_RESUMES) {
        await this.giveUp(attempt, `not finished after ${MAX_RESUMES} restarts of the gateway; the clip was discarded`);
        continue;
      }
      const fileKey = await this.options.keys.unsealKey(record.sealedKey, Buffer.from(record.id)).then(fileKeyOf, () => undefined);
      if (!fileKey) {
        await this.giveUp(attempt, "the clip's key can no longer be unsealed (the key-encryption key was rotated since); the clip was discarded");
        continue;
      }
      writeFileDurably(this.recordPath(record.id), JSON.stringify(attempt), 0o600);
      this.enqueue(attempt, fileKey);
      resumed.push(record.id);
    }
    if (resumed.length > 0) this.options.logger.info({ jobs: resumed }, 'upload jobs resumed after a restart');
    return resumed.length;
  }

  private async giveUp(record: JobRecord, error: string): Promise<void> {
    this.options.logger.error({ job: record.id, camera: record.camera }, `upload job ${error}`);
    const job = this.jobView(record);
    Object.assign(job, { state: 'failed', error, finishedAt: this.options.clock.now() });
    this.remember(job);
    await rm(this.recordPath(record.id), { force: true });
    await rm(this.clipPath(record.id), { force: true });
  }

  /** Stops the running job (its clip and record stay for the next start) and runs no further job. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.queue;
  }

  private recordingTime(id: string, info: MediaInfo, options: UploadOptions): RecordingTime {
    const recorded = recordingTimeOf({
      uploadedAtMs: this.options.clock.now(), durationMs: Math.round(info.durationMs ?? 0), maxAgeMs: this.options.maxAgeMs,
      ...(options.recordedAtMs === undefined ? {} : { statedMs: options.recordedAtMs }),
      ...(info.createdAtMs === undefined ? {} : { createdAtMs: info.createdAtMs }),
    });
    if (recorded.ignoredCreationMs !== undefined) {
      const creationTime = new Date(recorded.ignoredCreationMs).toISOString();
      this.options.logger.warn({ job: id, creationTime }, "upload: the clip's creation time is implausible (device clock?); filed under its upload time");
    }
    return recorded;
  }

  private jobView(record: JobRecord): UploadJob {
    return {
      id: record.id, camera: record.camera, recordedAt: record.recorded.startMs, recordedAtSource: record.recorded.source,
      state: 'queued', bytes: record.bytes, framesDone: 0, framesExpected: record.framesExpected, error: null, segmentId: null,
      createdAt: record.createdAt, finishedAt: null,
    };
  }

  private enqueue(record: JobRecord, fileKey: FileKey): UploadJob {
    const job = this.jobView(record);
    this.remember(job);
    this.queue = this.queue.then(async () => {
      try {
        if (!this.stopping.signal.aborted) await this.run(job, record, fileKey);
      } finally {
        forgetFileKey(fileKey);
      }
    });
    return job;
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

  /** Waits for every queued job (tests). */
  async drain(): Promise<void> {
    await this.queue;
  }

  private clipPath(id: string): string {
    return join(this.dir, `${id}.upload`);
  }

  private recordPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private async run(job: UploadJob, record: JobRecord, fileKey: FileKey): Promise<void> {
    const { recorded } = record;
    job.state = 'running';
    const path = this.clipPath(job.id);
    const output = join(this.dir, `${job.id}.mp4`);
    let outcome: { state: 'done' | 'failed'; error: string | null } = { state: 'done', error: null };
    try {
      const camera = this.options.camera(job.camera);
      const redactor = await this.options.redactor();
      const report = await redactor.redactFile(path, {
        outputPath: output,
        masks: camera.masks,
        signal: this.stopping.signal,
        fileKey,
        onProgress: (done) => {
          job.framesDone = done;
        },
      });
      const { startMs, endMs } = recorded;
      const data = await readDecrypted(path, fileKey);
      if (createHash('sha256').update(data).digest('hex') !== record.sha256) {
        throw new GatewayError('PGW_ERR_VAULT_INTEGRITY', 'the clip changed on disk while it waited; it was not stored', { job: job.id });
      }
      await this.options.publisher.original(camera.id, { sequence: 0, startMs, endMs, data, privacyMasks: camera.masks });
      await this.publish(job, camera, output, report, recorded);
    } catch (error) {
      outcome = { state: 'failed', error: describeError(error) };
      if (this.stopping.signal.aborted) {
        // Cut short by the stop, not by the clip: its clip and record stay, and the next start runs it again.
        await rm(output, { force: true });
        Object.assign(job, { state: 'queued', framesDone: 0 });
        return;
      }
      this.options.logger.info({ job: job.id, camera: job.camera, reason: outcome.error }, 'upload job failed');
    }
    // The record goes first: once it is gone the job is finished, whatever a crash leaves of the rest.
    await rm(this.recordPath(job.id), { force: true });
    await rm(path, { force: true });
    await rm(output, { force: true });
    // The job reads as finished only once nothing of the upload is left in the work directory.
    Object.assign(job, outcome, { finishedAt: this.options.clock.now() });
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
