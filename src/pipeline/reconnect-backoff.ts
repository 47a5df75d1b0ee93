export interface BackoffPolicy {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * Delay before reconnect attempt `attempt` (0 = first retry): exponential from `minMs`, capped at `maxMs`,
 * with "equal jitter" (half fixed, half random) so that cameras dropped by one network fault do not all
 * come back in the same instant. `random` is a value in [0, 1).
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const ceiling = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** Attempts count from zero again once a camera has streamed for `stableMs` without a fault. */
export function nextAttempt(attempt: number, streamedMs: number, stableMs: number): number {
  return streamedMs >= stableMs ? 0 : attempt + 1;
}
