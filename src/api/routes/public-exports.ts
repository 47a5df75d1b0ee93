import type { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { Principal } from '../../shared/types.js';
import { principalOf } from '../auth.js';
import { CAMERA_ID, CASE_NUMBER, ISO_INSTANT } from '../schema-parts.js';
import { sendExport, STRICT } from './access-requests.js';

/** What the public-records export routes need; implemented by the access module, wired in app.ts. */
export interface PublicExportsApiService {
  start(principal: Principal, request: { camera: string; from: string; to: string; reference: string }): { exportId: string; contentType: string; segments: number; stream: Readable };
  manifest(principal: Principal, exportId: string): object;
}

const segmentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    segmentId: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'integer' },
    frames: { type: 'integer' }, failClosedFrames: { type: 'integer' },
    regionsPerClass: { type: 'object', additionalProperties: { type: 'integer' } },
    privacyMasks: { type: 'integer' },
    detector: {
      type: 'object', additionalProperties: false,
      properties: { id: { type: 'string' }, models: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { id: { type: 'string' }, sha256: { type: 'string' } } } } },
    },
  },
} as const;

const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string' }, version: { type: 'integer' }, exportId: { type: 'string' }, reference: { type: 'string' }, requester: { type: 'string' },
    scope: { type: 'object', additionalProperties: false, properties: { camera: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } },
    segments: { type: 'array', items: segmentSchema },
    export: { type: 'object', additionalProperties: false, properties: { format: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'integer' } } },
    createdAt: { type: 'string' }, keyId: { type: 'string' }, publicKey: { type: 'string' }, signature: { type: 'string' },
  },
} as const;

/**
 * Public-records exports (G2): redacted footage of one camera and time window as MPEG-TS, with a signed manifest
 * that is its redaction log. Operators and admins export; auditors may read manifests too.
 */
export const publicExportRoutes: FastifyPluginAsync<{ service: PublicExportsApiService }> = async (app, { service }) => {
  app.get<{ Querystring: { camera: string; from: string; to: string; reference: string } }>('/v1/public-exports', {
    preValidation: app.guards.requireRole('operator', 'admin'),
    config: STRICT,
    schema: {
      tags: ['access'], summary: 'Export redacted footage for a public-records request (MPEG-TS; header x-export-id)',
      security: [{ bearer: [] }], 'x-roles': ['operator', 'admin'],
      querystring: {
        type: 'object', additionalProperties: false, required: ['camera', 'from', 'to', 'reference'],
        properties: { camera: CAMERA_ID, from: ISO_INSTANT, to: ISO_INSTANT, reference: { ...CASE_NUMBER, description: 'Number of the public-records request this disclosure answers.' } },
      },
    },
  }, async (request, reply) => {
    return sendExport(reply, service.start(principalOf(request), request.query));
  });

  app.get<{ Params: { exportId: string } }>('/v1/public-exports/:exportId/manifest', {
    preValidation: app.guards.requireRole('operator', 'admin', 'auditor'),
    schema: {
      tags: ['access'], summary: 'Signed manifest and redaction log of a public-records export',
      security: [{ bearer: [] }], 'x-roles': ['operator', 'admin', 'auditor'],
      params: { type: 'object', additionalProperties: false, required: ['exportId'], properties: { exportId: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
      response: { 200: manifestSchema },
    },
  }, async (request) => service.manifest(principalOf(request), request.params.exportId));
};
