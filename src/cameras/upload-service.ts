import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CameraConfig } from '../config/sections/cameras.js';
import { encryptingStream, fileKeyBytes, fileKeyOf, forgetFileKey, newFileKey, readDecrypted, type FileKey } from '../media/encrypted-file.js';
import { checkFramePixels } from '../media/frame-limit.js';
import { probeMedia, type MediaInfo } from '../media/media-probe.js';
import type { MediaTools } from '../media/media-tools.js';
import { moveIntoSpool } from '../pipeline/camera-segmenter.js';
import type { FileRedactor } from '../pipeline/file-redactor.js';
import type { RedactionReport } from '../pipeline/frame-report.js';
import type { Clock } from '../shared/clock.js';
import { describeError, GatewayError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { KeySealPort, StoragePressurePort } from '../shared/ports.js';
import { segmentIdOf } from '../shared/segments.js';
import type { Principal, UploadJob } from '../shared/types.js';
import type { BackoffPolicy } from '../pipeline/reconnect-backoff.js';
import { recordingTimeOf, type RecordingTime } from './recording-time.js';
import type { JobRecord, UploadRecords } from './upload-records.js';
import type { SegmentPublisher } from './segment-publisher.js';
import { UploadJobTable } from './upload-jobs.js';
import { UploadRetries } from './upload-retries.js';

export interface UploadServiceOptions {
  dataDir: string;
  /** Job records of waiting clips; the clips lie beside them (the vault re-seals their keys when its KEK rotates). */
  records: UploadRecords;
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
  /** Backoff of a job the box could not finish (its output or original could not be written): it runs again in-process. */
  retry: BackoffPolicy;
  camera(id: string): CameraConfig;
  /** The offline redactor (one detector worker for every job), built on first use. */
  redactor(): Promise<FileRedactor>;
}

/** What the uploader says besides the clip itself. */
export interface UploadOptions {
  /** Content-Length, when sent: a larger upload is refused before any byte is stored. */
  readonly declaredBytes?: number;
  /** When recording started, by the device (epoch ms). */
  readonly recordedAtMs?: number;
}

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

/** A job whose runs the gateway went down during this many times is failed, so that one clip cannot stop every later start. */
const MAX_INTERRUPTED_RUNS = 3;

/** Failures of the box rather than the clip: the redacted output or the original could not be written. */
function notTheClipsFault(error: unknown): boolean {
  return isGatewayError(error) && (error.code === 'PGW_ERR_OUTPUT' || error.code === 'PGW_ERR_UNAVAILABLE');
}

function diskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
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
  private readonly jobs = new UploadJobTable();
  private queue: Promise<void> = Promise.resolve();
  private readonly dir: string;
  /** Aborts the running job's redaction when the gateway stops. */
  private readonly stopping = new AbortController();
  private readonly retries: UploadRetries;

  constructor(private readonly options: UploadServiceOptions) {
    this.dir = options.records.dir;
    this.retries = new UploadRetries(options.retry);
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
      checkFramePixels('upload', info.width, info.height, this.options.maxPixels, 'cameras.uploadMaxPixels');
      await syncFile(path);
      const fields = {
        id, camera: cameraId, bytes: counter.bytes, framesExpected: info.expectedFrames ?? null, createdAt: this.options.clock.now(),
        recorded: this.recordingTime(id, info, options), sha256: counter.hash.digest('hex'),
      };
      record = await this.options.records.exclusive(async () => {
        const sealed = { ...fields, sealedKey: await this.options.keys.sealKey(fileKeyBytes(fileKey), Buffer.from(id)) };
        this.options.records.write(sealed);
        return sealed;
      });
    } catch (error) {
      forgetFileKey(fileKey);
      await rm(path, { force: true });
      throw diskFull(error) ? new GatewayError('PGW_ERR_UNAVAILABLE', "the gateway's disk is full: the upload was not stored; send it again later", {}, { cause: error }) : error;
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
    for (const id of await this.options.records.ids()) {
      const record = await this.options.records.read(id);
      if (record && names.includes(`${record.id}.upload`)) records.push(record);
    }
    const kept = new Set(records.flatMap((r) => [`${r.id}.json`, `${r.id}.upload`]));
    for (const name of names.filter((n) => !kept.has(n))) await rm(join(this.dir, name), { force: true, recursive: true });
    const resumed: string[] = [];
    for (const { id } of records.sort((a, b) => a.createdAt - b.createdAt)) {
      // Read again under the lock: a KEK rotation may have re-sealed the key since.
      if (await this.options.records.exclusive(() => this.resumeJob(id))) resumed.push(id);
    }
    if (resumed.length > 0) this.options.logger.info({ jobs: resumed }, 'upload jobs resumed after a restart');
    return resumed.length;
  }

  /** Queues a job a stop or a crash left, or gives it up; true when it was queued. */
  private async resumeJob(id: string): Promise<boolean> {
    const record = await this.options.records.read(id);
    if (record === undefined) return false;
    if ((record.interruptedRuns ?? 0) >= MAX_INTERRUPTED_RUNS) {
      await this.giveUp(record, `the gateway went down ${MAX_INTERRUPTED_RUNS} times while redacting it; the clip was discarded`);
      return false;
    }
    const fileKey = await this.unsealOrGiveUp(record);
    if (!fileKey) return false;
    this.enqueue(record, fileKey);
    return true;
  }

  /** Counts a run of job `id` as interrupted (`+1`, as it starts) or takes that back (`-1`, when it ends cleanly without finishing). */
  private async countRun(id: string, change: 1 | -1): Promise<void> {
    try {
      await this.options.records.update(id, (record) => ({ ...record, interruptedRuns: Math.max(0, (record.interruptedRuns ?? 0) + change) }));
    } catch (error) {
      throw new GatewayError('PGW_ERR_UNAVAILABLE', `the job record could not be written (${describeError(error)})`, { job: id }, { cause: error });
    }
  }

  /** Runs a job the box could not finish again, unless storage is still under pressure (then it waits longer). */
  private async retry(id: string): Promise<void> {
    if (this.stopping.signal.aborted) return;
    try {
      if (this.options.pressure && !this.options.pressure.acceptingOriginals()) {
        throw new GatewayError('PGW_ERR_UNAVAILABLE', 'storage is under pressure', { job: id });
      }
      // Under the lock: a KEK rotation may have re-sealed the key since the job last ran.
      await this.options.records.exclusive(async () => {
        const record = await this.options.records.read(id);
        const fileKey = record && (await this.unsealOrGiveUp(record));
        if (record && fileKey) this.enqueue(record, fileKey);
      });
    } catch (error) {
      this.keepForRetry(id, describeError(error));
    }
  }

  /** The job stays queued with its clip and record, and runs again after its next backoff delay (or at the next start). */
  private keepForRetry(id: string, reason: string): void {
    const delayMs = this.retries.schedule(id, () => this.retry(id));
    const job = this.jobs.live(id);
    if (job) Object.assign(job, { state: 'queued', framesDone: 0, error: `${reason}; the clip is kept and the job runs again in about ${Math.ceil(delayMs / 1000)} s` });
    this.options.logger.error({ job: id, camera: job?.camera, reason, retryInMs: delayMs }, 'upload job could not finish; its clip is kept and the job runs again');
  }

  private async unsealOrGiveUp(record: JobRecord): Promise<FileKey | undefined> {
    const fileKey = await this.options.keys.unsealKey(record.sealedKey, Buffer.from(record.id)).then(fileKeyOf, () => undefined);
    if (!fileKey) await this.giveUp(record, "the clip's key can no longer be unsealed (its key-encryption key is gone); the clip was discarded");
    return fileKey;
  }

  private async giveUp(record: JobRecord, error: string): Promise<void> {
    this.options.logger.error({ job: record.id, camera: record.camera }, `upload job ${error}`);
    Object.assign(this.jobs.add(record), { state: 'failed', error, finishedAt: this.options.clock.now() });
    this.retries.forget(record.id);
    await this.options.records.remove(record.id);
    await rm(this.clipPath(record.id), { force: true });
  }

  /** Stops the running job (its clip and record stay for the next start) and runs no further job. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.retries.stop();
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

  private enqueue(record: JobRecord, fileKey: FileKey): UploadJob {
    const job = this.jobs.add(record);
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
    return this.jobs.job(id);
  }

  /** Jobs newest first (see UploadJobTable). */
  list(filter: { state?: UploadJob['state']; camera?: string }): UploadJob[] {
    return this.jobs.list(filter);
  }

  /** Waits for every queued job (tests). */
  async drain(): Promise<void> {
    await this.queue;
  }

  private clipPath(id: string): string {
    return join(this.dir, `${id}.upload`);
  }

  private async run(job: UploadJob, record: JobRecord, fileKey: FileKey): Promise<void> {
    const { recorded } = record;
    job.state = 'running';
    const path = this.clipPath(job.id);
    const output = join(this.dir, `${job.id}.mp4`);
    let outcome: { state: 'done' | 'failed'; error: string | null } = { state: 'done', error: null };
    let counted = false;
    try {
      await this.countRun(job.id, 1);
      counted = true;
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
      // Named by the job: two clips may claim the same start, and a job re-run after a crash stores its original once.
      const originalId = `${segmentIdOf(camera.id, startMs)}-${job.id.slice(4, 12)}-original`;
      const original = await this.options.publisher.original(camera.id, { sequence: 0, startMs, endMs, data, privacyMasks: camera.masks, segmentId: originalId });
      if (original !== 'stored') throw new GatewayError('PGW_ERR_UNAVAILABLE', `the original could not be stored (${original === 'refused' ? 'storage is under pressure' : 'vault write failed'})`, { job: job.id });
      await this.publish(job, camera, output, report, recorded);
    } catch (error) {
      outcome = { state: 'failed', error: describeError(error) };
      if (this.stopping.signal.aborted || notTheClipsFault(error)) {
        // Cut short by the stop or by the box (full disk), not by the clip: its clip and record stay, and the job runs
        // again later or at the next start (an acknowledged clip may be the only copy).
        await rm(output, { force: true });
        if (counted) await this.countRun(job.id, -1).catch((undo: unknown) => this.options.logger.warn({ job: job.id, err: undo }, 'upload job: its run could not be taken back as interrupted'));
        if (this.stopping.signal.aborted) Object.assign(job, { state: 'queued', framesDone: 0, error: null });
        else this.keepForRetry(job.id, describeError(error));
        return;
      }
      this.options.logger.info({ job: job.id, camera: job.camera, reason: outcome.error }, 'upload job failed');
    }
    // The record goes first: once it is gone the job is finished, whatever a crash leaves of the rest. Under the lock,
    // so that a re-sealing pass that read it cannot write it back.
    await this.options.records.exclusive(() => this.options.records.remove(job.id));
    this.retries.forget(job.id);
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
}
