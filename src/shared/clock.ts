/** Time comes from a Clock so that decisions (retention, key rotation, fail-closed) are testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations; never jumps with the wall clock. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A manually advanced clock for tests. */
export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.wall = startMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }

  /** Moves only the wall clock (a clock jump); monotonic time is unaffected. */
  setWall(ms: number): void {
    this.wall = ms;
  }
}
