import type { FastifyPluginAsync } from 'fastify';
import '../route-roles.js';
import type { Principal, Role } from '../../shared/types.js';
import { principalOf } from '../auth.js';
import { CAMERA_ID, ISO_INSTANT, isoOrUndefined, parseInstant } from './retention-schema-parts.js';

const DATA_CLASSES = ['original', 'redacted', 'metadata', 'sensor_raw', 'sensor_minimized', 'export'] as const;
type DataClassName = (typeof DATA_CLASSES)[number];

export interface RetentionRuleView {
  id: string;
  dataClass: DataClassName;
  maxAgeHours: number;
  cameraIds?: readonly string[];
  cameraKind?: 'fixed' | 'body_worn';
  tags?: readonly string[];
  justification?: string;
  description?: string;
}

interface PlannedItemView {
  readonly item: { id: string; dataClass: DataClassName; cameraId?: string; cameraKind?: string; recordedAt: number };
  readonly expiry: { expiresAt: number; ruleId: string; maxAgeHours: number };
  readonly holdIds?: readonly string[];
}

interface SweepSummaryView {
  sweepId: string;
  at: number;
  wallClock: number;
  clockClamped: boolean;
  rulesVersion: number;
  deleted: number;
  resumed: number;
  cancelled: number;
  held: number;
  failed: number;
  deletedByClass: Partial<Record<DataClassName, number>>;
}

/** What the retention routes need; implemented by the retention module, wired in app.ts. */
export interface RetentionApiService {
  readonly limits: { defaultsHours: Readonly<Record<string, number>>; ceilingsHours: Readonly<Record<string, number>> };
  ruleSet(version?: number): { version: number; rules: readonly RetentionRuleView[]; changedBy: string; changedAt: number; comment?: string };
  replaceRules(principal: Principal, change: { rules: readonly RetentionRuleView[]; baseVersion?: number; comment?: string }): ReturnType<RetentionApiService['ruleSet']>;
  preview(untilMs: number): Promise<{ at: number; due: readonly PlannedItemView[]; held: readonly PlannedItemView[] }>;
  sweepNow(): Promise<SweepSummaryView>;
}

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'dataClass', 'maxAgeHours'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    dataClass: { type: 'string', enum: DATA_CLASSES },
    maxAgeHours: { type: 'number', exclusiveMinimum: 0, maximum: 87_600 },
    cameraIds: { type: 'array', minItems: 1, maxItems: 200, uniqueItems: true, items: CAMERA_ID },
    cameraKind: { type: 'string', enum: ['fixed', 'body_worn'] },
    tags: { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
    justification: { type: 'string', minLength: 1, maxLength: 2000 },
    description: { type: 'string', maxLength: 500 },
  },
} as const;

const hoursByClass = { type: 'object', additionalProperties: { type: 'number' } } as const;

const ruleSetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'rules', 'changedBy', 'changedAt', 'defaultsHours', 'ceilingsHours'],
  properties: {
    version: { type: 'integer' },
    rules: { type: 'array', items: ruleSchema },
    changedBy: { type: 'string' },
    changedAt: { type: 'string' },
    comment: { type: 'string' },
    defaultsHours: hoursByClass,
    ceilingsHours: hoursByClass,
  },
} as const;

const plannedItemSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    dataClass: { type: 'string' },
    cameraId: { type: 'string' },
    cameraKind: { type: 'string' },
    recordedAt: { type: 'string' },
    expiresAt: { type: 'string' },
    rule: { type: 'string' },
    maxAgeHours: { type: 'number' },
    holdIds: { type: 'array', items: { type: 'string' } },
  },
} as const;

const plannedListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { count: { type: 'integer' }, items: { type: 'array', items: plannedItemSchema } },
} as const;

function plannedView(entry: PlannedItemView) {
  return {
    id: entry.item.id,
    dataClass: entry.item.dataClass,
    cameraId: entry.item.cameraId,
    cameraKind: entry.item.cameraKind,
    recordedAt: new Date(entry.item.recordedAt).toISOString(),
    expiresAt: new Date(entry.expiry.expiresAt).toISOString(),
    rule: entry.expiry.ruleId,
    maxAgeHours: entry.expiry.maxAgeHours,
    holdIds: entry.holdIds,
  };
}

function ruleSetView(service: RetentionApiService, set: ReturnType<RetentionApiService['ruleSet']>) {
  return { ...set, changedAt: new Date(set.changedAt).toISOString(), defaultsHours: service.limits.defaultsHours, ceilingsHours: service.limits.ceilingsHours };
}

const COMMON = { tags: ['retention'], security: [{ bearer: [] }] };

/** Who may call what; declared as `x-roles` in each schema and enforced by the same list in the guard. */
const READERS: Role[] = ['operator', 'admin', 'auditor'];
const WRITERS: Role[] = ['operator'];
const PREVIEWERS: Role[] = ['operator', 'approver', 'auditor'];

const getRulesSchema = {
  summary: 'Current (or a past) version of the retention rules, with class defaults and city-wide ceilings',
  ...COMMON,
  'x-roles': READERS,
  querystring: { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 0, maximum: 2_147_483_647 } } },
  response: { 200: ruleSetSchema },
} as const;

const putRulesSchema = {
  summary: 'Replace the retention rules (a new version; validated against defaults, the 72 h rule and ceilings; audited)',
  ...COMMON,
  'x-roles': WRITERS,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['rules'],
    properties: {
      rules: { type: 'array', maxItems: 500, items: ruleSchema },
      baseVersion: { type: 'integer', minimum: 0, maximum: 2_147_483_647 },
      comment: { type: 'string', maxLength: 500 },
    },
  },
  response: { 200: ruleSetSchema },
} as const;

const previewSchema = {
  summary: 'What the sweep at `until` would delete, and what legal holds protect (the same decision the sweep makes)',
  ...COMMON,
  'x-roles': PREVIEWERS,
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['until'],
    properties: { until: ISO_INSTANT, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      properties: { until: { type: 'string' }, rulesVersion: { type: 'integer' }, due: plannedListSchema, held: plannedListSchema, truncated: { type: 'boolean' } },
    },
  },
} as const;

const sweepSchema = {
  summary: 'Run a retention sweep now (also runs at startup and every interval); 503 when the audit log cannot be written',
  ...COMMON,
  'x-roles': WRITERS,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sweepId: { type: 'string' },
        at: { type: 'string' },
        wallClock: { type: 'string' },
        clockClamped: { type: 'boolean' },
        rulesVersion: { type: 'integer' },
        deleted: { type: 'integer' },
        resumed: { type: 'integer' },
        cancelled: { type: 'integer' },
        held: { type: 'integer' },
        failed: { type: 'integer' },
        deletedByClass: hoursByClass,
      },
    },
  },
} as const;

export const retentionRoutes: FastifyPluginAsync<{ service: RetentionApiService }> = async (app, { service }) => {
  // Guards run on request, before body validation; refusals are audited through the server's onAccessDenied.
  const readers = app.guards.requireRole(...READERS);
  const writers = app.guards.requireRole(...WRITERS);
  const previewers = app.guards.requireRole(...PREVIEWERS);
  const sweepers = app.guards.requireRole(...WRITERS);

  app.get<{ Querystring: { version?: number } }>('/v1/retention/rules', {
    onRequest: readers,
    schema: getRulesSchema,
  }, async (request) => ruleSetView(service, service.ruleSet(request.query.version)));

  app.put<{ Body: { rules: RetentionRuleView[]; baseVersion?: number; comment?: string } }>('/v1/retention/rules', {
    onRequest: writers,
    schema: putRulesSchema,
  }, async (request) => ruleSetView(service, service.replaceRules(principalOf(request), request.body)));

  app.get<{ Querystring: { until: string; limit: number } }>('/v1/retention/preview', {
    onRequest: previewers,
    schema: previewSchema,
  }, async (request) => {
    const until = parseInstant(request.query.until, 'until');
    const { limit } = request.query;
    const rulesVersion = service.ruleSet().version;
    const plan = await service.preview(until);
    return {
      until: isoOrUndefined(plan.at),
      rulesVersion,
      due: { count: plan.due.length, items: plan.due.slice(0, limit).map(plannedView) },
      held: { count: plan.held.length, items: plan.held.slice(0, limit).map(plannedView) },
      truncated: plan.due.length > limit || plan.held.length > limit,
    };
  });

  app.post('/v1/retention/sweep', {
    onRequest: sweepers,
    schema: sweepSchema,
  }, async () => {
    const summary = await service.sweepNow();
    return { ...summary, at: new Date(summary.at).toISOString(), wallClock: new Date(summary.wallClock).toISOString() };
  });
};
