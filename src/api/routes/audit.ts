import type { FastifyPluginAsync } from 'fastify';
import { ISO_INSTANT } from '../schema-parts.js';
import '../route-roles.js';
import { principalOf } from '../auth.js';
import type { Principal } from '../../shared/types.js';

export interface AuditQueryParams {
  actor?: string;
  action?: string;
  object?: string;
  outcome?: string;
  from?: string;
  to?: string;
  after?: number;
  limit: number;
}

/** What the audit routes need; reads and verifications are themselves audited by the service. */
export interface AuditReadService {
  query(principal: Principal, query: AuditQueryParams): { records: unknown[]; next: number | null };
  verify(principal: Principal): unknown;
}

const recordSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    seq: { type: 'integer' },
    ts: { type: 'string' },
    actor: { type: 'string' },
    role: { type: ['string', 'null'] },
    action: { type: 'string' },
    object: { type: 'string' },
    outcome: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    idempotencyKey: { type: 'string' },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

const TEXT = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** The audit log for auditors: filtered, paged reads and chain verification (P7). */
export const auditRoutes: FastifyPluginAsync<{ service: AuditReadService }> = async (app, { service }) => {
  const auditorOnly = app.guards.requireRole('auditor');
  app.get<{ Querystring: AuditQueryParams }>('/v1/audit', {
    preValidation: auditorOnly,
    schema: {
      tags: ['audit'],
      security: [{ bearer: [] }], 'x-roles': ['auditor'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          actor: TEXT,
          action: { type: 'string', pattern: '^[a-z_.]{1,64}$' },
          object: TEXT,
          outcome: { type: 'string', enum: ['success', 'failure', 'denied'] },
          from: ISO_INSTANT,
          to: ISO_INSTANT,
          after: { type: 'integer', minimum: 0 },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
        },
      },
      response: { 200: { type: 'object', additionalProperties: false, properties: { records: { type: 'array', items: recordSchema }, next: { type: ['integer', 'null'] } } } },
    },
  }, async (request) => service.query(principalOf(request), request.query));

  app.get('/v1/audit/verify', {
    preValidation: auditorOnly,
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: {
      tags: ['audit'],
      security: [{ bearer: [] }], 'x-roles': ['auditor'],
      response: {
        200: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ok: { type: 'boolean' },
            records: { type: 'integer' },
            headSeq: { type: 'integer' },
            headHash: { type: 'string' },
            checkpointsChecked: { type: 'integer' },
            firstBad: { type: 'object', additionalProperties: false, properties: { seq: { type: 'integer' }, reason: { type: 'string' } } },
          },
        },
      },
    },
  }, async (request) => service.verify(principalOf(request)));
};
