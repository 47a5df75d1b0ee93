/**
 * The fail-closed decision (invariant P1) as a pure function: a frame leaves with its regions redacted only
 * when a successful analysis at most `maxDetectionAgeMs` older than the frame (in stream time) vouches for
 * it and the latest analysis attempted at or before it did not fail; otherwise the whole frame is redacted.
 */
export interface CoverageState {
  /** Stream time of the latest successful analysis at or before the frame, if any. */
  readonly lastSuccessPtsMs: number | undefined;
  /** The latest analysis attempted at or before the frame failed (stalled, crashed or refused). */
  readonly latestAttemptFailed: boolean;
}

export function mustRedactWholeFrame(framePtsMs: number, state: CoverageState, maxDetectionAgeMs: number): boolean {
  if (state.latestAttemptFailed) return true;
  if (state.lastSuccessPtsMs === undefined) return true;
  return framePtsMs - state.lastSuccessPtsMs > maxDetectionAgeMs;
}

/**
 * Follows analysis outcomes in stream order and answers, for frames in increasing time, the coverage state.
 * Outcomes are appended in time order (offline: schedule order; live: latest-frame-wins keeps them increasing).
 */
export class CoverageLedger {
  private readonly pts: number[] = [];
  private readonly ok: boolean[] = [];
  private cursor = -1;
  private lastSuccess: number | undefined;

  record(ptsMs: number, success: boolean): void {
    this.pts.push(ptsMs);
    this.ok.push(success);
  }

  /** Coverage for a frame; frames must be asked in non-decreasing time. */
  at(framePtsMs: number): CoverageState {
    while (this.cursor + 1 < this.pts.length && (this.pts[this.cursor + 1] as number) <= framePtsMs) {
      this.cursor += 1;
      if (this.ok[this.cursor]) this.lastSuccess = this.pts[this.cursor];
    }
    this.compact();
    const latestAttemptFailed = this.cursor >= 0 && this.ok[this.cursor] === false;
    return { lastSuccessPtsMs: this.lastSuccess, latestAttemptFailed };
  }

  /** Drops outcomes already passed so the ledger stays bounded on endless streams. */
  private compact(): void {
    if (this.cursor < 1024) return;
    this.pts.splice(0, this.cursor);
    this.ok.splice(0, this.cursor);
    this.cursor = 0;
  }
}
