import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { policySchema, type VersionedPolicySet } from '../../sensors/policy-schema.js';
import type { Principal, Role } from '../../shared/types.js';
import '../route-roles.js';
import { principalOf } from '../auth.js';

/** What the sensor routes need; the sensors component implements it. */
export interface SensorsApiService {
  currentPolicies(): VersionedPolicySet;
  /** Validates, versions, audits and stores; throws PGW_ERR_VALIDATION, PGW_ERR_CONFLICT or PGW_ERR_AUDIT_UNAVAILABLE. */
  replacePolicies(policies: unknown, expectedVersion: number, principal: Principal): VersionedPolicySet;
  statsView(): object;
}

/** Drops `default` keywords: inside `anyOf` Ajv cannot apply them, and the policy schema applies them itself. */
function withoutDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDefaults);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).filter(([key]) => key !== 'default' && key !== '$schema').map(([key, value]) => [key, withoutDefaults(value)]));
}

/** The policy schema (the one source of truth) as JSON Schema for request validation and OpenAPI. */
function jsonSchemaOf(io: 'input' | 'output'): Record<string, unknown> {
  return withoutDefaults(z.toJSONSchema(policySchema, { io, target: 'draft-7' })) as Record<string, unknown>;
}

const MAX_POLICIES = 100;

function policySetResponse(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['version', 'updatedAt', 'updatedBy', 'policies'],
    properties: {
      version: { type: 'integer' },
      updatedAt: { type: 'string' },
      updatedBy: { type: 'string' },
      policies: { type: 'array', items: jsonSchemaOf('output') },
    },
  };
}

const counters = {
  type: 'object',
  additionalProperties: false,
  properties: {
    received: { type: 'integer' },
    forwarded: { type: 'integer' },
    aggregated: { type: 'integer' },
    unknownFieldsRemoved: { type: 'integer' },
    dropped: { type: 'object', additionalProperties: { type: 'integer' } },
  },
};

const statsResponse = {
  type: 'object',
  additionalProperties: false,
  properties: {
    connection: { type: 'string' },
    reconnectAttempt: { type: 'integer' },
    policyVersion: { type: 'integer' },
    openWindows: { type: 'integer' },
    pseudonymKeyPeriod: { type: ['integer', 'null'] },
    aggregatesForwarded: { type: 'integer' },
    topics: { type: 'object', additionalProperties: counters },
  },
};

/** `GET/PUT /v1/sensors/policies` (operator) and `GET /v1/sensors/stats` (operator, admin, auditor). */
export const sensorsRoutes: FastifyPluginAsync<{ service: SensorsApiService }> = async (app, { service }) => {
  const security = [{ bearer: [] }];
  const policyRoles: Role[] = ['operator'];
  const statsRoles: Role[] = ['operator', 'admin', 'auditor'];
  app.get('/v1/sensors/policies', {
    preHandler: app.guards.requireRole(...policyRoles),
    schema: { tags: ['sensors'], summary: 'The active sensor policy set and its version', security, 'x-roles': policyRoles, response: { 200: policySetResponse() } },
    handler: async () => service.currentPolicies(),
  });

  app.put<{ Body: { expectedVersion: number; policies: unknown[] } }>('/v1/sensors/policies', {
    preHandler: app.guards.requireRole(...policyRoles),
    schema: {
      tags: ['sensors'],
      summary: 'Replace the sensor policy set (validated, versioned, audited)',
      security,
      'x-roles': policyRoles,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['expectedVersion', 'policies'],
        properties: {
          expectedVersion: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
          policies: { type: 'array', maxItems: MAX_POLICIES, items: jsonSchemaOf('input') },
        },
      },
      response: { 200: policySetResponse() },
    },
    handler: async (request) => service.replacePolicies(request.body.policies, request.body.expectedVersion, principalOf(request)),
  });

  app.get('/v1/sensors/stats', {
    preHandler: app.guards.requireRole(...statsRoles),
    schema: { tags: ['sensors'], summary: 'Per-topic-filter counters: received, forwarded, dropped by reason', security, 'x-roles': statsRoles, response: { 200: statsResponse } },
    handler: async () => service.statsView(),
  });
};
