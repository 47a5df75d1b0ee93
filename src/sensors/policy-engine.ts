import { bucketTimestamp, binNumber, canonicalMac, coarsenPoint, redactText, type Point } from './field-transforms.js';
import type { FieldSpec, SensorPolicy } from './policy-schema.js';

/**
 * The minimization decision (P4, A7, A10): a pure function from (policy, parsed payload) to the
 * minimized fields, or the reason the message must be dropped. Only fields the policy names are
 * read; every value is type-checked before its action runs; unknown fields are counted, never copied.
 */

export type MinimizedValue = string | number | boolean | Point;

export interface MinimizeContext {
  /** Keyed pseudonym of a canonical identifier in the current rotation period. */
  pseudonymize(value: string): string;
}

export type MinimizeResult =
  | { ok: true; fields: Readonly<Record<string, MinimizedValue>>; unknownFields: number }
  | { ok: false; reason: 'invalid_field'; field: string };

type FieldOutcome = { ok: true; value: MinimizedValue } | { ok: false };

const MIN_EPOCH_MS = Date.UTC(2000, 0, 1);
const MAX_EPOCH_MS = Date.UTC(2100, 0, 1);
const INVALID: FieldOutcome = { ok: false };

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function inRange(value: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}

export function parseTimestamp(value: unknown): number | undefined {
  const epochMs = typeof value === 'string' && value.length <= 40 ? Date.parse(value) : finiteNumber(value);
  if (epochMs === undefined || !Number.isFinite(epochMs) || epochMs < MIN_EPOCH_MS || epochMs > MAX_EPOCH_MS) return undefined;
  return epochMs;
}

function parsePoint(value: unknown): Point | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const lat = finiteNumber((value as Record<string, unknown>).lat);
  const lon = finiteNumber((value as Record<string, unknown>).lon);
  if (lat === undefined || lon === undefined || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return { lat, lon };
}

function keepValue(spec: Extract<FieldSpec, { action: 'keep' }>, value: unknown): FieldOutcome {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' && value.length <= spec.maxLength ? { ok: true, value } : INVALID;
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : INVALID;
    case 'number':
    case 'integer': {
      const number = finiteNumber(value);
      if (number === undefined || (spec.type === 'integer' && !Number.isInteger(number))) return INVALID;
      return inRange(number, spec.min, spec.max) ? { ok: true, value: number } : INVALID;
    }
  }
}

function pseudonymizeValue(spec: Extract<FieldSpec, { action: 'pseudonymize' }>, value: unknown, context: MinimizeContext): FieldOutcome {
  if (typeof value !== 'string' || value.length === 0 || value.length > spec.maxLength) return INVALID;
  const canonical = spec.normalize === 'mac' ? canonicalMac(value) : spec.normalize === 'lowercase' ? value.toLowerCase() : value;
  return canonical === undefined ? INVALID : { ok: true, value: context.pseudonymize(canonical) };
}

function coarsenValue(spec: Extract<FieldSpec, { action: 'coarsen' }>, value: unknown): FieldOutcome {
  switch (spec.type) {
    case 'point': {
      const point = parsePoint(value);
      return point ? { ok: true, value: coarsenPoint(point, spec) } : INVALID;
    }
    case 'timestamp': {
      const epochMs = parseTimestamp(value);
      return epochMs === undefined ? INVALID : { ok: true, value: bucketTimestamp(epochMs, spec.bucketMs) };
    }
    case 'number': {
      const number = finiteNumber(value);
      return number !== undefined && inRange(number, spec.min, spec.max) ? { ok: true, value: binNumber(number, spec.binWidth) } : INVALID;
    }
  }
}

function applyField(spec: FieldSpec, value: unknown, context: MinimizeContext): FieldOutcome {
  switch (spec.action) {
    case 'keep':
      return keepValue(spec, value);
    case 'pseudonymize':
      return pseudonymizeValue(spec, value, context);
    case 'coarsen':
      return coarsenValue(spec, value);
    case 'redact_text':
      return typeof value === 'string' && value.length <= spec.maxLength ? { ok: true, value: redactText(value) } : INVALID;
  }
}

/** Applies a policy to one parsed payload. */
export function minimize(policy: SensorPolicy, payload: Readonly<Record<string, unknown>>, context: MinimizeContext): MinimizeResult {
  const fields: Record<string, MinimizedValue> = {};
  for (const [name, spec] of Object.entries(policy.fields)) {
    if (!Object.hasOwn(payload, name) || payload[name] === null) {
      if (spec.optional) continue;
      return { ok: false, reason: 'invalid_field', field: name };
    }
    const outcome = applyField(spec, payload[name], context);
    if (!outcome.ok) return { ok: false, reason: 'invalid_field', field: name };
    fields[name] = outcome.value;
  }
  const unknownFields = Object.keys(payload).filter((name) => !Object.hasOwn(policy.fields, name)).length;
  return { ok: true, fields, unknownFields };
}
