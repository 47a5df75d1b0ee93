import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../shared/durable-file.js';
import type { SealedKey, SealedKeyHolder } from '../shared/ports.js';
import type { RecordingTime } from './recording-time.js';

/**
 * An accepted upload as it is kept on disk beside its clip (`<id>.json`), so that a job the gateway acknowledged
 * with 202 survives a stop or a crash and is run at the next start.
 */
export interface JobRecord {
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
  /**
   * Runs of the job that the gateway went down during: counted when a run starts, taken back when the run ends
   * without finishing the job for a reason other than the clip (a stop, a full disk). A clip that keeps bringing the
   * gateway down is given up; restarts while the job waited, or runs a stop cut short, do not count.
   */
  readonly interruptedRuns?: number;
}

const JOB_ID = /^job_[0-9a-f]{24}$/;

function isJobRecord(value: unknown): value is JobRecord {
  const record = value as Partial<JobRecord> | null;
  return typeof record?.id === 'string' && JOB_ID.test(record.id) && typeof record.camera === 'string' && typeof record.bytes === 'number'
    && typeof record.createdAt === 'number' && typeof record.recorded?.startMs === 'number' && typeof record.recorded.endMs === 'number'
    && typeof record.sha256 === 'string' && typeof record.sealedKey?.kekId === 'string' && typeof record.sealedKey.wrapped === 'string';
}

/**
 * The job records of waiting uploads (`dataDir/work/uploads`, 0600 files in a 0700 directory). They hold keys sealed
 * by the vault's KEK, so the vault re-seals them when it rotates its KEK (SealedKeyHolder), before the old KEK is
 * destroyed; otherwise an acknowledged clip would become unreadable at the next start. Sealing a new record and
 * writing it, and a re-sealing pass, never interleave: a record is either on disk before the pass or sealed after
 * the new KEK became active.
 */
export class UploadRecords implements SealedKeyHolder {
  private lock: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  /** The records of a gateway's data directory. */
  static of(dataDir: string): UploadRecords {
    return new UploadRecords(join(dataDir, 'work', 'uploads'));
  }

  recordPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** The record of job `id`, or undefined when it is missing or unreadable. */
  async read(id: string): Promise<JobRecord | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.recordPath(id), 'utf8'));
      return isJobRecord(parsed) && parsed.id === id ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Ids of the jobs whose record file is present (readable or not). */
  async ids(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length)).filter((id) => JOB_ID.test(id));
    } catch {
      return [];
    }
  }

  /** Removes a record: its job is finished (or given up). */
  async remove(id: string): Promise<void> {
    await rm(this.recordPath(id), { force: true });
  }

  /** Writes a record durably (fsynced file and directory) before anything relies on it. */
  write(record: JobRecord): void {
    writeFileDurably(this.recordPath(record.id), JSON.stringify(record), 0o600);
  }

  /** Rewrites job `id`'s record, under the lock (a re-sealing pass may have rewritten it since it was read); no-op when it is gone. */
  update(id: string, change: (record: JobRecord) => JobRecord): Promise<void> {
    return this.exclusive(async () => {
      const record = await this.read(id);
      if (record) this.write(change(record));
    });
  }

  /** Runs `task` while no re-sealing pass and no other exclusive task runs. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task);
    this.lock = run.catch(() => undefined);
    return run;
  }

  resealUnder(activeKekId: string, reseal: (sealed: SealedKey, aad: Buffer) => Promise<SealedKey | null>): Promise<number> {
    return this.exclusive(async () => {
      let resealed = 0;
      for (const id of await this.ids()) {
        const record = await this.read(id);
        if (record === undefined || record.sealedKey.kekId === activeKekId) continue;
        const sealedKey = await reseal(record.sealedKey, Buffer.from(record.id));
        // A key whose KEK is already gone cannot be saved; the job fails at its next start and says so.
        if (sealedKey === null) continue;
        this.write({ ...record, sealedKey });
        resealed += 1;
      }
      return resealed;
    });
  }
}
