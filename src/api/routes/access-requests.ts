import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { CAMERA_ID, CASE_NUMBER, ISO_INSTANT } from '../schema-parts.js';
import '../route-roles.js';
import type { Readable } from 'node:stream';
import { principalOf } from '../auth.js';
import type { Principal, Role } from '../../shared/types.js';

export type AccessStatusName = 'pending' | 'approved' | 'denied' | 'revoked';

export interface AccessRequestBody {
  cameras: string[];
  from: string;
  to: string;
  caseNumber: string;
  purpose: string;
}

/** What the routes need from the access module (declared here so the api imports no domain class). */
export interface AccessRequestsService {
  create(principal: Principal, input: AccessRequestBody): unknown;
  list(principal: Principal, filter: { status?: AccessStatusName; limit: number; offset: number }): unknown[];
  get(principal: Principal, id: string): unknown;
  approve(principal: Principal, id: string, options: { grantHours?: number; reason?: string }): unknown;
  deny(principal: Principal, id: string, options: { reason?: string }): unknown;
  revoke(principal: Principal, id: string, options: { reason?: string }): unknown;
  startExport(principal: Principal, id: string, scope: { camera?: string; from?: string; to?: string }): { exportId: string; contentType: string; segments: number; stream: Readable };
  manifest(principal: Principal, id: string, exportId: string): unknown;
}

const nullableString = { type: ['string', 'null'] } as const;
const requestView = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    requester: { type: 'string' },
    cameras: { type: 'array', items: { type: 'string' } },
    from: { type: 'string' },
    to: { type: 'string' },
    caseNumber: { type: 'string' },
    purpose: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'string' },
    decidedBy: nullableString,
    decidedAt: nullableString,
    decisionReason: nullableString,
    grantExpiresAt: nullableString,
    revokedBy: nullableString,
    revokedAt: nullableString,
  },
} as const;

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' } } } as const;
const reasonBody = { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } } as const;
const segmentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    segmentId: { type: 'string' }, originalId: { type: 'string' }, cameraId: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'integer' },
    privacyMasks: {
      type: 'array',
      description: 'Static privacy masks laid over this segment in the export (A6): polygons of [x, y] fractions of width and height.',
      items: { type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } },
    },
  },
} as const;
const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string' },
    version: { type: 'integer' },
    exportId: { type: 'string' },
    request: {
      type: 'object',
      additionalProperties: false,
      properties: { id: { type: 'string' }, cameras: { type: 'array', items: { type: 'string' } }, from: { type: 'string' }, to: { type: 'string' }, caseNumber: { type: 'string' }, purpose: { type: 'string' }, createdAt: { type: 'string' } },
    },
    requester: { type: 'string' },
    approver: { type: 'string' },
    approvedAt: { type: 'string' },
    grantExpiresAt: { type: 'string' },
    scope: { type: 'object', additionalProperties: false, properties: { camera: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } },
    segments: { type: 'array', items: segmentSchema },
    export: { type: 'object', additionalProperties: false, properties: { format: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'integer' } } },
    createdAt: { type: 'string' },
    keyId: { type: 'string' },
    publicKey: { type: 'string' },
    signature: { type: 'string' },
  },
} as const;

export const STRICT = { rateLimit: { max: 30, timeWindow: '1 minute' } };

/** An export as it goes out: its MPEG-TS stream, with the id its manifest is fetched by. */
export function sendExport(reply: FastifyReply, started: { exportId: string; contentType: string; segments: number; stream: Readable }): FastifyReply {
  return reply
    .header('content-type', started.contentType)
    .header('x-export-id', started.exportId)
    .header('x-export-segments', String(started.segments))
    .header('cache-control', 'no-store')
    .send(started.stream);
}

/** Unredacted access: requests, four-eyes decisions, grants and exports (DESIGN.md §4). */
export const accessRequestRoutes: FastifyPluginAsync<{ service: AccessRequestsService }> = async (app, { service }) => {
  await app.register(requestRoutes, { service });
  await app.register(decisionRoutes, { service });
  await app.register(exportRoutes, { service });
};

const requestRoutes: FastifyPluginAsync<{ service: AccessRequestsService }> = async (app, { service }) => {
  const requireRole = (...roles: Role[]) => app.guards.requireRole(...roles);
  const readers = requireRole('investigator', 'approver', 'auditor', 'admin');

  app.post<{ Body: AccessRequestBody }>('/v1/access-requests', {
    preValidation: requireRole('investigator'),
    config: STRICT,
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['access'],
      security: [{ bearer: [] }], 'x-roles': ['investigator'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['cameras', 'from', 'to', 'caseNumber', 'purpose'],
        properties: {
          cameras: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: CAMERA_ID },
          from: ISO_INSTANT,
          to: ISO_INSTANT,
          caseNumber: CASE_NUMBER,
          purpose: { type: 'string', minLength: 10, maxLength: 1000 },
        },
      },
      response: { 201: requestView },
    },
  }, async (request, reply) => reply.code(201).send(service.create(principalOf(request), request.body)));

  app.get<{ Querystring: { status?: AccessStatusName; limit: number; offset: number } }>('/v1/access-requests', {
    preValidation: readers,
    schema: {
      tags: ['access'],
      security: [{ bearer: [] }], 'x-roles': ['investigator', 'approver', 'auditor', 'admin'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['pending', 'approved', 'denied', 'revoked'] },
          limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
        },
      },
      response: { 200: { type: 'object', additionalProperties: false, properties: { requests: { type: 'array', items: requestView } } } },
    },
  }, async (request) => ({ requests: service.list(principalOf(request), request.query) }));

  app.get<{ Params: { id: string } }>('/v1/access-requests/:id', {
    preValidation: readers,
    schema: { tags: ['access'], security: [{ bearer: [] }], 'x-roles': ['investigator', 'approver', 'auditor', 'admin'], params: idParams, response: { 200: requestView } },
  }, async (request) => service.get(principalOf(request), request.params.id));
};

const decisionRoutes: FastifyPluginAsync<{ service: AccessRequestsService }> = async (app, { service }) => {
  const requireRole = (...roles: Role[]) => app.guards.requireRole(...roles);

  app.post<{ Params: { id: string }; Body: { grantHours?: number; reason?: string } }>('/v1/access-requests/:id/approve', {
    preValidation: requireRole('approver'),
    config: STRICT,
    schema: {
      tags: ['access'],
      security: [{ bearer: [] }], 'x-roles': ['approver'],
      params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { grantHours: { type: 'integer', minimum: 1, maximum: 168 }, reason: { type: 'string', minLength: 1, maxLength: 500 } } },
      response: { 200: requestView },
    },
  }, async (request) => service.approve(principalOf(request), request.params.id, request.body ?? {}));

  for (const decision of ['deny', 'revoke'] as const) {
    app.post<{ Params: { id: string }; Body: { reason?: string } }>(`/v1/access-requests/:id/${decision}`, {
      preValidation: requireRole('approver'),
      config: STRICT,
      schema: { tags: ['access'], security: [{ bearer: [] }], 'x-roles': ['approver'], params: idParams, body: reasonBody, response: { 200: requestView } },
    }, async (request) => service[decision](principalOf(request), request.params.id, request.body ?? {}));
  }
};

const exportRoutes: FastifyPluginAsync<{ service: AccessRequestsService }> = async (app, { service }) => {
  const requireRole = (...roles: Role[]) => app.guards.requireRole(...roles);

  app.get<{ Params: { id: string }; Querystring: { camera?: string; from?: string; to?: string } }>('/v1/access-requests/:id/export', {
    preValidation: requireRole('investigator'),
    config: STRICT,
    schema: {
      tags: ['access'],
      security: [{ bearer: [] }], 'x-roles': ['investigator'],
      params: idParams,
      querystring: { type: 'object', additionalProperties: false, properties: { camera: CAMERA_ID, from: ISO_INSTANT, to: ISO_INSTANT } },
    },
  }, async (request, reply) => {
    return sendExport(reply, service.startExport(principalOf(request), request.params.id, request.query));
  });

  app.get<{ Params: { id: string; exportId: string } }>('/v1/access-requests/:id/exports/:exportId/manifest', {
    preValidation: requireRole('investigator', 'approver', 'auditor'),
    schema: {
      tags: ['access'],
      security: [{ bearer: [] }], 'x-roles': ['investigator', 'approver', 'auditor'],
      params: { type: 'object', additionalProperties: false, required: ['id', 'exportId'], properties: { id: idParams.properties.id, exportId: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
      response: { 200: manifestSchema },
    },
  }, async (request) => service.manifest(principalOf(request), request.params.id, request.params.exportId));
};
