import { describeError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * Logs a loop's failure once, not at every turn: a fault that lasts (a full disk fails every poll) is logged when it
 * starts and when its message changes, and the recovery is logged with how many turns failed.
 */
export class RepeatedFailureLog {
  private failing: string | undefined;
  private failedTurns = 0;

  constructor(
    private readonly logger: Logger,
    private readonly context: Readonly<Record<string, unknown>>,
    private readonly what: string,
  ) {}

  failed(error: unknown, consequence: string): void {
    const message = describeError(error);
    this.failedTurns += 1;
    if (message === this.failing) return;
    this.failing = message;
    this.logger.error({ ...this.context, err: error }, `${this.what} failed; ${consequence} (while this error repeats it is not logged again)`);
  }

  succeeded(): void {
    if (this.failing === undefined) return;
    this.logger.info({ ...this.context, failedTurns: this.failedTurns }, `${this.what} works again`);
    this.failing = undefined;
    this.failedTurns = 0;
  }
}
