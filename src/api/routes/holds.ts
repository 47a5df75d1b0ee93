import type { FastifyPluginAsync } from 'fastify';
import { CASE_NUMBER } from '../schema-parts.js';
import '../route-roles.js';
import type { Principal, Role } from '../../shared/types.js';
import { principalOf } from '../auth.js';
import { CAMERA_ID, ISO_INSTANT, isoOrUndefined, parseInstant } from './retention-schema-parts.js';

export interface HoldView {
  id: string;
  cameraIds: readonly string[];
  fromMs: number;
  toMs: number;
  caseNumber: string;
  reason: string;
  expiresAt?: number;
  placedBy: string;
  placedAt: number;
  liftedBy?: string;
  liftedAt?: number;
  liftReason?: string;
  status: 'active' | 'lifted' | 'expired';
}

/** What the legal-hold routes need; implemented by the retention module, wired in app.ts. */
export interface HoldsApiService {
  listHolds(): HoldView[];
  hold(id: string): HoldView;
  placeHold(principal: Principal, request: { cameraIds: readonly string[]; fromMs: number; toMs: number; caseNumber: string; reason: string; expiresAt?: number }): HoldView;
  liftHold(principal: Principal, id: string, reason: string): HoldView;
}

const HOLD_ID = { type: 'string', pattern: '^hold_[0-9a-f]{32}$' } as const;

const holdSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    cameraIds: { type: 'array', items: { type: 'string' } },
    from: { type: 'string' },
    to: { type: 'string' },
    caseNumber: { type: 'string' },
    reason: { type: 'string' },
    expiresAt: { type: 'string' },
    placedBy: { type: 'string' },
    placedAt: { type: 'string' },
    liftedBy: { type: 'string' },
    liftedAt: { type: 'string' },
    liftReason: { type: 'string' },
    status: { type: 'string', enum: ['active', 'lifted', 'expired'] },
  },
} as const;

function holdView(hold: HoldView) {
  return {
    id: hold.id,
    cameraIds: hold.cameraIds,
    from: new Date(hold.fromMs).toISOString(),
    to: new Date(hold.toMs).toISOString(),
    caseNumber: hold.caseNumber,
    reason: hold.reason,
    expiresAt: isoOrUndefined(hold.expiresAt),
    placedBy: hold.placedBy,
    placedAt: new Date(hold.placedAt).toISOString(),
    liftedBy: hold.liftedBy,
    liftedAt: isoOrUndefined(hold.liftedAt),
    liftReason: hold.liftReason,
    status: hold.status,
  };
}

interface PlaceBody {
  cameraIds: string[];
  from: string;
  to: string;
  caseNumber: string;
  reason: string;
  expiresAt?: string;
}

const placeBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cameraIds', 'from', 'to', 'caseNumber', 'reason'],
  properties: {
    cameraIds: { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: CAMERA_ID },
    from: ISO_INSTANT,
    to: ISO_INSTANT,
    caseNumber: CASE_NUMBER,
    reason: { type: 'string', minLength: 1, maxLength: 1000 },
    expiresAt: ISO_INSTANT,
  },
} as const;

/** Legal holds are the approvers' alone; declared as `x-roles` and enforced by the guard from this list. */
const APPROVERS: Role[] = ['approver'];

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: HOLD_ID } } as const;

/** Legal holds: approvers only; placements and lifts are audited by the service, refusals by the guard. */
export const holdRoutes: FastifyPluginAsync<{ service: HoldsApiService }> = async (app, { service }) => {
  // Guards run on request, before body validation; refusals are audited through the server's onAccessDenied.
  const approverOnly = app.guards.requireRole(...APPROVERS);
  const common = { tags: ['holds'], security: [{ bearer: [] }], 'x-roles': APPROVERS };

  app.post<{ Body: PlaceBody }>('/v1/holds', {
    onRequest: approverOnly,
    schema: {
      ...common,
      summary: 'Place a legal hold on cameras for a recording window (approver); held data survives every retention rule',
      body: placeBodySchema,
      response: { 201: holdSchema },
    },
  }, async (request, reply) => {
    const { body } = request;
    const hold = service.placeHold(principalOf(request), {
      cameraIds: body.cameraIds,
      fromMs: parseInstant(body.from, 'from'),
      toMs: parseInstant(body.to, 'to'),
      caseNumber: body.caseNumber,
      reason: body.reason,
      ...(body.expiresAt === undefined ? {} : { expiresAt: parseInstant(body.expiresAt, 'expiresAt') }),
    });
    return reply.code(201).send(holdView(hold));
  });

  app.get('/v1/holds', {
    onRequest: approverOnly,
    schema: {
      ...common,
      summary: 'All legal holds with their status (active, lifted, expired), newest first',
      response: { 200: { type: 'object', additionalProperties: false, properties: { holds: { type: 'array', items: holdSchema } } } },
    },
  }, async () => ({ holds: service.listHolds().map(holdView) }));

  app.get<{ Params: { id: string } }>('/v1/holds/:id', {
    onRequest: approverOnly,
    schema: { ...common, summary: 'One legal hold', params: idParams, response: { 200: holdSchema } },
  }, async (request) => holdView(service.hold(request.params.id)));

  app.delete<{ Params: { id: string }; Body: { reason: string } }>('/v1/holds/:id', {
    onRequest: approverOnly,
    schema: {
      ...common,
      summary: 'Lift a legal hold (approver); the remaining rules apply from the next sweep',
      params: idParams,
      body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } } },
      response: { 200: holdSchema },
    },
  }, async (request) => holdView(service.liftHold(principalOf(request), request.params.id, request.body.reason)));
};
