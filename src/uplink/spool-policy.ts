/** Pure disk-pressure decisions of the spool (H3); the guard measures, this decides. */

export interface SpoolPolicy {
  /** Spool quota in bytes. */
  readonly quotaBytes: number;
  /** Share of the quota at which pressure starts (new originals refused, alarm raised). */
  readonly highWaterRatio: number;
  /** Share of the quota below which pressure ends again (hysteresis, so the alarm does not flap). */
  readonly lowWaterRatio: number;
  /** Free bytes on the spool's file system below which pressure starts, whatever the quota says. */
  readonly minFreeBytes: number;
}

export interface SpoolReading {
  readonly usedBytes: number;
  readonly freeBytes: number;
}

export type PressureReason = 'quota' | 'disk_free';

export interface PressureAssessment {
  readonly underPressure: boolean;
  readonly reason: PressureReason | null;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
}

/** Enters pressure at the high-water mark (or low free space); leaves it only below the low-water mark. */
export function assessPressure(reading: SpoolReading, policy: SpoolPolicy, wasUnderPressure: boolean): PressureAssessment {
  const highWaterBytes = Math.floor(policy.quotaBytes * policy.highWaterRatio);
  const lowWaterBytes = Math.floor(policy.quotaBytes * Math.min(policy.lowWaterRatio, policy.highWaterRatio));
  const diskLow = reading.freeBytes < policy.minFreeBytes;
  const limit = wasUnderPressure ? lowWaterBytes : highWaterBytes;
  const overQuota = wasUnderPressure ? reading.usedBytes > limit : reading.usedBytes >= limit;
  const reason: PressureReason | null = overQuota ? 'quota' : diskLow ? 'disk_free' : null;
  return { underPressure: reason !== null, reason, highWaterBytes, lowWaterBytes };
}

/** A spooled file may be evicted only when every sink has it, its local retention is over and no hold covers it. */
export function mayEvict(file: { createdAt: number; delivered: boolean; held: boolean }, now: number, localRetentionMs: number): boolean {
  return file.delivered && !file.held && now - file.createdAt >= localRetentionMs;
}
