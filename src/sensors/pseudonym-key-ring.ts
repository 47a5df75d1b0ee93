import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.js';

/** Bytes of the HMAC output kept in a token: 128 bits, base64url (22 characters). */
const TOKEN_BYTES = 16;
const KEY_BYTES = 32;

export interface PseudonymKeyRingOptions {
  clock: Clock;
  /** Rotation period; the key for period p is used for all times in [p·periodMs, (p+1)·periodMs). */
  periodMs: number;
  /** Source of key material (tests may pass a deterministic one to prove rotation, never production). */
  randomKey?: (bytes: number) => Buffer;
}

/**
 * Keyed pseudonyms (A8, P4): HMAC-SHA-256 under a random key that exists only in this object's memory.
 * One key per rotation period: tokens are stable within a period and unlinkable across periods. When
 * the period changes the old key is zeroed and dropped, so earlier tokens can never be recomputed. A
 * restart also starts with a fresh key (nothing is persisted), which only makes tokens less linkable.
 */
export class PseudonymKeyRing {
  private current: { period: number; key: Buffer } | undefined;
  private readonly randomKey: (bytes: number) => Buffer;

  constructor(private readonly options: PseudonymKeyRingOptions) {
    this.randomKey = options.randomKey ?? randomBytes;
  }

  /** Index of the rotation period that contains `epochMs`. */
  periodOf(epochMs: number): number {
    return Math.floor(epochMs / this.options.periodMs);
  }

  /** The token of `value` in the current period. */
  pseudonymize(value: string): string {
    const key = this.keyFor(this.periodOf(this.options.clock.now()));
    return createHmac('sha256', key).update(value, 'utf8').digest().subarray(0, TOKEN_BYTES).toString('base64url');
  }

  /** How many keys are held: at most one, the current period's. */
  heldKeys(): number {
    return this.current ? 1 : 0;
  }

  /** Period of the key held now, if any (for stats; never the key itself). */
  heldPeriod(): number | undefined {
    return this.current?.period;
  }

  /** Zeroes and drops the key (on stop). */
  discard(): void {
    this.current?.key.fill(0);
    this.current = undefined;
  }

  private keyFor(period: number): Buffer {
    if (this.current?.period !== period) {
      this.discard();
      this.current = { period, key: this.randomKey(KEY_BYTES) };
    }
    return this.current.key;
  }
}
