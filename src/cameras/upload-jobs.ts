import { GatewayError } from '../shared/errors.js';
import type { UploadJob } from '../shared/types.js';
import type { JobRecord } from './upload-records.js';

/** How many jobs the table keeps: beyond it the oldest finished one is forgotten (waiting jobs are always kept). */
const JOBS_KEPT = 500;

/**
 * The upload jobs this gateway knows, as `GET /v1/jobs` shows them: every waiting job and the most recent finished
 * ones. The service changes a job's state and progress on the object `add` returns; readers get copies.
 */
export class UploadJobTable {
  private readonly jobs = new Map<string, UploadJob>();

  /** A queued job made from its record (accepted, resumed after a restart, or run again), replacing any earlier view. */
  add(record: JobRecord): UploadJob {
    const job: UploadJob = {
      id: record.id, camera: record.camera, recordedAt: record.recorded.startMs, recordedAtSource: record.recorded.source,
      state: 'queued', bytes: record.bytes, framesDone: 0, framesExpected: record.framesExpected, error: null, segmentId: null,
      createdAt: record.createdAt, finishedAt: null,
    };
    this.jobs.set(job.id, job);
    if (this.jobs.size > JOBS_KEPT) this.forgetOldestFinished();
    return job;
  }

  /** The live job object (for the service to update), if known. */
  live(id: string): UploadJob | undefined {
    return this.jobs.get(id);
  }

  job(id: string): UploadJob {
    const job = this.jobs.get(id);
    if (!job) throw new GatewayError('PGW_ERR_NOT_FOUND', `no job ${id}`, { job: id });
    return { ...job };
  }

  /** Newest first; jobs accepted within the same millisecond list the later one first. */
  list(filter: { state?: UploadJob['state']; camera?: string }): UploadJob[] {
    return [...this.jobs.values()].reverse()
      .filter((job) => (filter.state === undefined || job.state === filter.state) && (filter.camera === undefined || job.camera === filter.camera))
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((job) => ({ ...job }));
  }

  private forgetOldestFinished(): void {
    for (const [id, known] of this.jobs) {
      if (known.state === 'done' || known.state === 'failed') {
        this.jobs.delete(id);
        return;
      }
    }
  }
}
