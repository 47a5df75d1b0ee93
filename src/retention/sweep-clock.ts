import type { Clock } from '../shared/clock.js';

export interface SweepInstant {
  /** The instant the sweep decides with: never later than the monotonic estimate. */
  readonly now: number;
  readonly wallNow: number;
  /** Wall time the monotonic clock predicts from the anchor taken at construction. */
  readonly estimatedNow: number;
  /** True when the wall clock ran ahead of the estimate by more than the tolerance and was not used. */
  readonly clamped: boolean;
}

/**
 * Guards deletions against wall-clock jumps. At construction it anchors the wall clock to the monotonic
 * clock; afterwards the estimate is anchor + monotonic elapsed time. A sweep uses the wall clock while
 * it agrees with the estimate within the tolerance, the estimate when the wall clock jumped ahead (so
 * nothing is deleted early), and the wall clock when it fell behind (deleting later is safe). A forward
 * correction therefore takes effect only after a restart re-anchors the clock.
 */
export class SweepClock {
  private readonly anchorWall: number;
  private readonly anchorMono: number;

  constructor(
    private readonly clock: Clock,
    private readonly toleranceMs: number,
  ) {
    this.anchorWall = clock.now();
    this.anchorMono = clock.monotonic();
  }

  instant(): SweepInstant {
    const wallNow = this.clock.now();
    const estimatedNow = this.anchorWall + (this.clock.monotonic() - this.anchorMono);
    const clamped = wallNow > estimatedNow + this.toleranceMs;
    return { now: clamped ? estimatedNow : wallNow, wallNow, estimatedNow, clamped };
  }
}
