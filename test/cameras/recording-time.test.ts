import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_TOLERANCE_MS, recordingTimeOf } from '../../src/cameras/recording-time.js';

const HOUR = 3_600_000;
const uploadedAtMs = Date.parse('2026-11-30T18:00:00Z');
const base = { uploadedAtMs, durationMs: 60_000, maxAgeMs: 720 * HOUR };

describe('recording time of an upload (C1: retention runs from recording time)', () => {
  it('takes the stated time first, then the clip\'s creation time', () => {
    const stated = Date.parse('2026-11-30T14:00:00Z');
    const created = Date.parse('2026-11-30T13:00:00Z');
    expect(recordingTimeOf({ ...base, statedMs: stated, createdAtMs: created })).toEqual({ startMs: stated, endMs: stated + 60_000, source: 'request' });
    expect(recordingTimeOf({ ...base, createdAtMs: created })).toEqual({ startMs: created, endMs: created + 60_000, source: 'container' });
  });

  it('without a time, files the clip as ending when it arrived', () => {
    expect(recordingTimeOf(base)).toEqual({ startMs: uploadedAtMs - 60_000, endMs: uploadedAtMs, source: 'upload' });
  });

  it('ignores a creation time from a reset or fast device clock, and keeps it for the record', () => {
    for (const created of [Date.parse('2000-01-01T00:00:00Z'), uploadedAtMs - 721 * HOUR, uploadedAtMs + CLOCK_SKEW_TOLERANCE_MS]) {
      expect(recordingTimeOf({ ...base, createdAtMs: created })).toEqual({ startMs: uploadedAtMs - 60_000, endMs: uploadedAtMs, source: 'upload', ignoredCreationMs: created });
    }
    const slightlyAhead = uploadedAtMs + CLOCK_SKEW_TOLERANCE_MS - 60_000;
    expect(recordingTimeOf({ ...base, createdAtMs: slightlyAhead }).source).toBe('container');
  });

  it('refuses a stated time that ends after the upload or is older than the allowed age, naming the bound', () => {
    expect(() => recordingTimeOf({ ...base, statedMs: uploadedAtMs + 5 * 60_000 })).toThrow('recordedAt 2026-11-30T18:05:00.000Z ends after the upload arrived (latest possible start 2026-11-30T18:04:00.000Z)');
    expect(() => recordingTimeOf({ ...base, statedMs: Date.parse('2026-10-01T00:00:00Z') })).toThrow(
      'recordedAt 2026-10-01T00:00:00.000Z is older than cameras.uploadMaxAgeHours allows (earliest 2026-10-31T18:00:00.000Z)',
    );
  });
});
