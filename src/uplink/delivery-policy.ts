/**
 * Pure delivery decisions of the uplink: retry delays and the per-sink circuit breaker.
 * No I/O and no clock reads; callers pass time and randomness in, so every rule has a table test.
 */

export interface RetryPolicy {
  /** Delay after the first failure, in ms. */
  readonly baseMs: number;
  /** Upper bound of any delay, in ms (a central outage of days retries at this pace). */
  readonly maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half of the capped exponential delay is fixed and half is random,
 * so retries of many items spread out after an outage but never come back sooner than half the step.
 * `attempt` counts failures so far (1 after the first failure); `random` is in [0, 1).
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const capped = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const half = capped / 2;
  return Math.round(half + half * Math.min(Math.max(random, 0), 1));
}

export type CircuitPhase = 'closed' | 'open' | 'half_open';

export interface CircuitPolicy {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit rejects attempts before one trial (half-open), in ms. */
  readonly openMs: number;
}

export interface CircuitState {
  readonly phase: CircuitPhase;
  readonly consecutiveFailures: number;
  /** Monotonic ms at which the circuit last opened. */
  readonly openedAt: number;
}

export const CLOSED_CIRCUIT: CircuitState = { phase: 'closed', consecutiveFailures: 0, openedAt: 0 };

/** Whether a delivery may be attempted now; an open circuit whose wait is over becomes half-open (one trial). */
export function circuitBeforeAttempt(state: CircuitState, now: number, policy: CircuitPolicy): { allowed: boolean; state: CircuitState } {
  if (state.phase !== 'open') return { allowed: true, state };
  if (now - state.openedAt >= policy.openMs) return { allowed: true, state: { ...state, phase: 'half_open' } };
  return { allowed: false, state };
}

export function circuitAfterSuccess(): CircuitState {
  return CLOSED_CIRCUIT;
}

/** A failed trial in half-open reopens at once; in closed, the threshold of consecutive failures opens it. */
export function circuitAfterFailure(state: CircuitState, now: number, policy: CircuitPolicy): CircuitState {
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (state.phase === 'half_open' || consecutiveFailures >= policy.failureThreshold) {
    return { phase: 'open', consecutiveFailures, openedAt: now };
  }
  return { phase: 'closed', consecutiveFailures, openedAt: state.openedAt };
}
