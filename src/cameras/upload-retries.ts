import { reconnectDelayMs, type BackoffPolicy } from '../pipeline/reconnect-backoff.js';

/**
 * When each upload job that the box could not finish (full disk, vault refused) runs again: exponential backoff
 * per job, with jitter so that jobs failed by one fault do not all retry in the same instant.
 */
export class UploadRetries {
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Calls `retry` after job `id`'s next delay, and returns that delay in ms; after `stop` nothing is called. */
  schedule(id: string, retry: () => Promise<void>): number {
    const attempt = this.attempts.get(id) ?? 0;
    this.attempts.set(id, attempt + 1);
    const delayMs = reconnectDelayMs(attempt, this.policy, this.random());
    if (this.stopped) return delayMs;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      void retry();
    }, delayMs);
    // A waiting retry never keeps the process alive: the job's clip and record wait for the next start too.
    timer.unref();
    this.timers.set(id, timer);
    return delayMs;
  }

  /** The job finished: a later fault of the same job would start again from the first delay. */
  forget(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.attempts.delete(id);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
