import { describe, expect, it } from 'vitest';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import {
  CLOSED_CIRCUIT, circuitAfterFailure, circuitAfterSuccess, circuitBeforeAttempt, retryDelayMs,
} from '../../src/uplink/delivery-policy.js';
import { keyToName } from '../../src/uplink/sink.js';
import { assessPressure, mayEvict } from '../../src/uplink/spool-policy.js';

const retry = { baseMs: 1000, maxMs: 60_000 };
const circuit = { failureThreshold: 3, openMs: 10_000 };

describe('retryDelayMs: exponential backoff with equal jitter', () => {
  it.each([
    { attempt: 1, random: 0, expected: 500 },
    { attempt: 1, random: 0.999_999, expected: 1000 },
    { attempt: 2, random: 0, expected: 1000 },
    { attempt: 3, random: 0.5, expected: 3000 },
    { attempt: 7, random: 0, expected: 30_000 },
    { attempt: 50, random: 0.999_999, expected: 60_000 },
    { attempt: 0, random: 0, expected: 500 },
  ])('attempt $attempt, random $random → $expected ms', ({ attempt, random, expected }) => {
    expect(retryDelayMs(attempt, retry, random)).toBe(expected);
  });

  it('never exceeds the cap and never drops below half the step', () => {
    for (let attempt = 1; attempt < 40; attempt += 1) {
      for (const random of [0, 0.25, 0.5, 0.75, 0.999]) {
        const delay = retryDelayMs(attempt, retry, random);
        const step = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
        expect(delay).toBeLessThanOrEqual(retry.maxMs);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
      }
    }
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures, not before', () => {
    let state = CLOSED_CIRCUIT;
    state = circuitAfterFailure(state, 100, circuit);
    state = circuitAfterFailure(state, 200, circuit);
    expect(state.phase).toBe('closed');
    state = circuitAfterFailure(state, 300, circuit);
    expect(state).toEqual({ phase: 'open', consecutiveFailures: 3, openedAt: 300 });
  });

  it.each([
    { now: 300, allowed: false, phase: 'open' },
    { now: 10_299, allowed: false, phase: 'open' },
    { now: 10_300, allowed: true, phase: 'half_open' },
  ])('an open circuit at t=$now allows an attempt: $allowed', ({ now, allowed, phase }) => {
    const open = { phase: 'open' as const, consecutiveFailures: 3, openedAt: 300 };
    const gate = circuitBeforeAttempt(open, now, circuit);
    expect(gate.allowed).toBe(allowed);
    expect(gate.state.phase).toBe(phase);
  });

  it('a failed half-open trial reopens at once; a success closes', () => {
    const halfOpen = { phase: 'half_open' as const, consecutiveFailures: 3, openedAt: 300 };
    expect(circuitAfterFailure(halfOpen, 20_000, circuit)).toEqual({ phase: 'open', consecutiveFailures: 4, openedAt: 20_000 });
    expect(circuitAfterSuccess()).toEqual(CLOSED_CIRCUIT);
  });

  it('a success between failures resets the count', () => {
    let state = circuitAfterFailure(CLOSED_CIRCUIT, 1, circuit);
    state = circuitAfterFailure(state, 2, circuit);
    state = circuitAfterSuccess();
    state = circuitAfterFailure(state, 3, circuit);
    expect(state.phase).toBe('closed');
  });
});

describe('spool pressure (H3)', () => {
  const policy = { quotaBytes: 1000, highWaterRatio: 0.9, lowWaterRatio: 0.7, minFreeBytes: 100 };
  it.each([
    { used: 899, free: 10_000, was: false, under: false, reason: null },
    { used: 900, free: 10_000, was: false, under: true, reason: 'quota' },
    { used: 800, free: 10_000, was: true, under: true, reason: 'quota' },
    { used: 700, free: 10_000, was: true, under: false, reason: null },
    { used: 10, free: 99, was: false, under: true, reason: 'disk_free' },
    { used: 10, free: 100, was: true, under: false, reason: null },
  ])('used $used, free $free, was under pressure $was → $under', ({ used, free, was, under, reason }) => {
    const assessment = assessPressure({ usedBytes: used, freeBytes: free }, policy, was);
    expect(assessment.underPressure).toBe(under);
    expect(assessment.reason).toBe(reason);
    expect(assessment.highWaterBytes).toBe(900);
    expect(assessment.lowWaterBytes).toBe(700);
  });

  it.each([
    { delivered: true, held: false, age: 1000, evict: true },
    { delivered: true, held: false, age: 999, evict: false },
    { delivered: false, held: false, age: 5000, evict: false },
    { delivered: true, held: true, age: 5000, evict: false },
  ])('delivered $delivered, held $held, age $age → evict $evict', ({ delivered, held, age, evict }) => {
    expect(mayEvict({ createdAt: 10_000 - age, delivered, held }, 10_000, 1000)).toBe(evict);
  });
});

describe('idempotency keys and names', () => {
  const sha = 'a'.repeat(64);
  it('are deterministic: artefact id plus content hash', () => {
    expect(idempotencyKey('segment:cam1:0001', sha)).toBe(`segment:cam1:0001@sha256:${sha}`);
    expect(jsonSha256({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(jsonSha256({ a: [1, { c: 3, d: 2 }], b: 1 }));
    expect(jsonSha256({ a: 1 })).not.toBe(jsonSha256({ a: 2 }));
  });

  it('reject what is not an id and a SHA-256', () => {
    expect(() => idempotencyKey('', sha)).toThrow(RangeError);
    expect(() => idempotencyKey('x', 'abc')).toThrow(RangeError);
  });

  it('map to safe names without collisions', () => {
    const keys = ['cam1-0001', 'cam1_0001', 'cam1/0001', 'cam1:0001', '../etc', `cam1-0001@sha256:${sha}`, `cam1-0001.sha256-${sha}`, '', '..'];
    const names = keys.map(keyToName);
    expect(new Set(names).size).toBe(keys.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9~][A-Za-z0-9._~-]*$/);
    expect(keyToName(`cam1-0001@sha256:${sha}`)).toBe(`cam1-0001~sha256-${sha}`);
  });
});
