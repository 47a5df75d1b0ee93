import { GatewayError } from '../shared/errors.js';
import type { RecordingTimeSource } from '../shared/types.js';

export interface RecordingTime {
  readonly startMs: number;
  readonly endMs: number;
  readonly source: RecordingTimeSource;
  /** A creation time the clip claimed but that was not plausible (reset or skewed device clock), kept for the record. */
  readonly ignoredCreationMs?: number;
}

export interface RecordingTimeInput {
  /** When the upload finished arriving, by the gateway's clock. */
  readonly uploadedAtMs: number;
  readonly durationMs: number;
  /** The uploader's statement of when recording started (`POST /v1/uploads?recordedAt=`). */
  readonly statedMs?: number;
  /** The clip's container creation time. */
  readonly createdAtMs?: number;
  /** Oldest start a clip may claim, as an age at upload (`cameras.uploadMaxAgeHours`). */
  readonly maxAgeMs: number;
}

/** A device's clock may run this far ahead of the gateway's before its times are read as "in the future". */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/**
 * Retention runs from recording time (C1), and access requests select footage by it, so an upload is filed
 * under when it was recorded, not when the dock sent it. A claimed start must lie within `maxAgeMs` before the
 * upload, and the clip must end by the upload (give or take the clock skew): a device with a reset clock claims
 * 1970 or 2000, which would have the clip deleted on arrival. A stated time outside that window is refused;
 * an implausible creation time is ignored and the upload time used.
 */
export function recordingTimeOf(input: RecordingTimeInput): RecordingTime {
  const { uploadedAtMs, durationMs, maxAgeMs } = input;
  const earliest = uploadedAtMs - maxAgeMs;
  const latest = uploadedAtMs + CLOCK_SKEW_TOLERANCE_MS - durationMs;
  const plausible = (startMs: number): boolean => startMs >= earliest && startMs <= latest;
  if (input.statedMs !== undefined) {
    if (!plausible(input.statedMs)) throw implausibleStatement(input.statedMs, earliest, latest);
    return { startMs: input.statedMs, endMs: input.statedMs + durationMs, source: 'request' };
  }
  if (input.createdAtMs !== undefined && plausible(input.createdAtMs)) {
    return { startMs: input.createdAtMs, endMs: input.createdAtMs + durationMs, source: 'container' };
  }
  const fallback = { startMs: uploadedAtMs - durationMs, endMs: uploadedAtMs, source: 'upload' } as const;
  return input.createdAtMs === undefined ? fallback : { ...fallback, ignoredCreationMs: input.createdAtMs };
}

function implausibleStatement(statedMs: number, earliest: number, latest: number): GatewayError {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const reason = statedMs > latest
    ? `ends after the upload arrived (latest possible start ${iso(latest)})`
    : `is older than cameras.uploadMaxAgeHours allows (earliest ${iso(earliest)})`;
  return new GatewayError('PGW_ERR_INPUT_INVALID', `recordedAt ${iso(statedMs)} ${reason}`, { recordedAt: iso(statedMs), earliest: iso(earliest), latest: iso(latest) });
}
