import { z } from 'zod';

/**
 * The declarative sensor policy language (P4). A policy names the topics it covers and every field
 * that may survive, each with a type and one action; everything else is dropped (default deny).
 * Cross-field rules that protect privacy (no tracks, aggregate inputs) are named functions below.
 */

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const DEFAULT_COORDINATE_DECIMALS = 3;
export const DEFAULT_MIN_CELL_SIZE = 10;

const keepField = z.strictObject({
  action: z.literal('keep'),
  type: z.enum(['string', 'number', 'integer', 'boolean']),
  maxLength: z.number().int().min(1).max(1024).default(128).describe('Longest accepted string; longer values invalidate the message.'),
  min: z.number().optional(),
  max: z.number().optional(),
  optional: z.boolean().default(false),
});

const pseudonymizeField = z.strictObject({
  action: z.literal('pseudonymize'),
  type: z.literal('identifier'),
  normalize: z.enum(['mac', 'lowercase', 'none']).default('none').describe('Canonical form before hashing, so AA-BB-.. and aa:bb:.. give one token.'),
  maxLength: z.number().int().min(1).max(256).default(64),
  optional: z.boolean().default(false),
});

const coarsenPointField = z.strictObject({
  action: z.literal('coarsen'),
  type: z.literal('point'),
  decimals: z.number().int().min(0).max(5).default(DEFAULT_COORDINATE_DECIMALS).describe('Decimal places kept (3 ≈ 110 m).'),
  cellDeg: z.number().positive().max(10).optional().describe('Snap to the south-west corner of a grid of this many degrees instead of rounding.'),
  optional: z.boolean().default(false),
});

const coarsenTimeField = z.strictObject({
  action: z.literal('coarsen'),
  type: z.literal('timestamp'),
  bucketMs: z.number().int().min(1000).max(86_400_000).describe('Timestamps are floored to buckets of this length.'),
  optional: z.boolean().default(false),
});

const coarsenNumberField = z.strictObject({
  action: z.literal('coarsen'),
  type: z.literal('number'),
  binWidth: z.number().positive().describe('Numbers are floored to bins of this width.'),
  min: z.number().optional(),
  max: z.number().optional(),
  optional: z.boolean().default(false),
});

const redactTextField = z.strictObject({
  action: z.literal('redact_text'),
  type: z.literal('text'),
  maxLength: z.number().int().min(1).max(8192).default(2000),
  optional: z.boolean().default(false),
});

export const fieldSpecSchema = z.union([keepField, pseudonymizeField, coarsenPointField, coarsenTimeField, coarsenNumberField, redactTextField]);
export type FieldSpec = z.infer<typeof fieldSpecSchema>;

const recordOutput = z.strictObject({ mode: z.literal('record') });

const aggregateOutput = z.strictObject({
  mode: z.literal('aggregate'),
  zoneField: z.string().regex(FIELD_NAME).describe('Field whose value (kept string or coarsened point) names the cell.'),
  timeField: z.string().regex(FIELD_NAME).optional().describe('Event-time field; without it the arrival time on the gateway clock is used.'),
  windowMs: z.number().int().min(60_000).max(86_400_000).default(900_000),
  metric: z.enum(['count', 'sum', 'mean']).default('count'),
  valueField: z.string().regex(FIELD_NAME).optional().describe('Numeric field summed or averaged (sum, mean).'),
  distinctField: z.string().regex(FIELD_NAME).optional().describe('Pseudonymized field: a count counts distinct tokens, and k counts distinct contributors.'),
  k: z.number().int().min(2).max(1000).default(DEFAULT_MIN_CELL_SIZE).describe('Cells with fewer contributors are suppressed (with complementary suppression).'),
});

export const policySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  description: z.string().max(500).default(''),
  topics: z.array(z.string().min(1).max(256)).min(1).max(16).describe('MQTT topic filters (+ and # wildcards) this policy covers.'),
  fields: z.record(z.string().regex(FIELD_NAME), fieldSpecSchema).refine((fields) => Object.keys(fields).length > 0, 'a policy names at least one field'),
  output: z.discriminatedUnion('mode', [recordOutput, aggregateOutput]),
});
export type SensorPolicy = z.infer<typeof policySchema>;
export type AggregateOutput = z.infer<typeof aggregateOutput>;

export const policySetSchema = z.strictObject({
  policies: z.array(policySchema).max(100),
});
export type PolicySetInput = z.input<typeof policySetSchema>;

/** A validated policy set with the version that produced every forwarded record. */
export interface VersionedPolicySet {
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly policies: readonly SensorPolicy[];
}

function fieldsWith(policy: SensorPolicy, predicate: (spec: FieldSpec) => boolean): string[] {
  return Object.entries(policy.fields).filter(([, spec]) => predicate(spec)).map(([name]) => name);
}

/** A10: a record that carries a coordinate must not carry anything that links it to one device. */
export function trackProblems(policy: SensorPolicy): string[] {
  if (policy.output.mode !== 'record') return [];
  const points = fieldsWith(policy, (spec) => spec.type === 'point');
  const links = fieldsWith(policy, (spec) => spec.action === 'pseudonymize');
  if (points.length === 0 || links.length === 0) return [];
  return [`policy ${policy.id}: records with a location (${points.join(', ')}) must not carry a pseudonym (${links.join(', ')}); that would forward a per-device track`];
}

function checkAggregateField(policy: SensorPolicy, name: string | undefined, role: string, accept: (spec: FieldSpec) => boolean): string[] {
  if (name === undefined) return [];
  const spec = policy.fields[name];
  if (!spec) return [`policy ${policy.id}: ${role} '${name}' is not one of its fields`];
  return accept(spec) ? [] : [`policy ${policy.id}: ${role} '${name}' has the wrong type or action for that role`];
}

/** Aggregation inputs must exist and have a type the aggregator can use. */
export function aggregateProblems(policy: SensorPolicy): string[] {
  const output = policy.output;
  if (output.mode !== 'aggregate') return [];
  const problems = [
    ...checkAggregateField(policy, output.zoneField, 'zoneField', (s) => (s.action === 'keep' && s.type === 'string') || s.type === 'point'),
    ...checkAggregateField(policy, output.timeField, 'timeField', (s) => s.type === 'timestamp'),
    ...checkAggregateField(policy, output.valueField, 'valueField', (s) => s.type === 'number' || s.type === 'integer'),
    ...checkAggregateField(policy, output.distinctField, 'distinctField', (s) => s.action === 'pseudonymize'),
  ];
  const time = output.timeField === undefined ? undefined : policy.fields[output.timeField];
  if (time?.type === 'timestamp' && output.windowMs % time.bucketMs !== 0) problems.push(`policy ${policy.id}: windowMs must be a multiple of the time field's bucketMs`);
  if (output.metric !== 'count' && output.valueField === undefined) problems.push(`policy ${policy.id}: metric '${output.metric}' needs a valueField`);
  return problems;
}

/** Returns every rule a policy set breaks; an empty list means it may be activated. */
export function policySetProblems(policies: readonly SensorPolicy[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const policy of policies) {
    if (seen.has(policy.id)) problems.push(`policy id '${policy.id}' is used twice`);
    seen.add(policy.id);
    problems.push(...trackProblems(policy), ...aggregateProblems(policy));
  }
  return problems;
}
