import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort } from '../shared/ports.js';

/**
 * Turns fail-closed frames into audit events without flooding the log: the first fail-closed frame is
 * audited at once, later ones are summed and audited at most once per `intervalMs` (and on `flush`).
 * An audit store that cannot write does not stop redaction (the frames are already redacted whole);
 * the failure is logged.
 */
export class FailClosedAuditor {
  private pending = 0;
  private lastAppendMs: number | undefined;

  constructor(
    private readonly audit: AuditPort,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly object: string,
    private readonly intervalMs = 60_000,
  ) {}

  record(frames = 1): void {
    this.pending += frames;
    const now = this.clock.monotonic();
    if (this.lastAppendMs === undefined || now - this.lastAppendMs >= this.intervalMs) this.flush();
  }

  flush(): void {
    if (this.pending === 0) return;
    const frames = this.pending;
    this.pending = 0;
    this.lastAppendMs = this.clock.monotonic();
    try {
      this.audit.append({ actor: 'system:pipeline', action: 'pipeline.failclosed', object: this.object, outcome: 'failure', details: { frames } });
    } catch (error) {
      this.logger.error({ err: error, object: this.object, frames }, 'fail-closed frames could not be audited');
    }
  }
}
