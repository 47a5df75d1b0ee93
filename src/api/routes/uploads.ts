import type { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { CAMERA_ID } from '../schema-parts.js';
import type { Principal, RecordingTimeSource, UploadJob } from '../../shared/types.js';
import { GatewayError } from '../../shared/errors.js';
import { principalOf } from '../auth.js';

/** What the upload routes need; implemented by the camera module's upload service, wired in app.ts. */
export interface UploadsApiService {
  readonly maxBytes: number;
  accept(principal: Principal, cameraId: string, body: Readable, options: { declaredBytes?: number; recordedAtMs?: number }): Promise<UploadJob>;
  job(id: string): UploadJob;
  /** Jobs this gateway knows (the most recent 500 and every waiting one), newest first. */
  list(filter: { state?: UploadJob['state']; camera?: string }): UploadJob[];
}

const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const satisfies readonly UploadJob['state'][];

const jobSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' }, camera: { type: 'string' },
    recordedAt: { type: 'string', format: 'date-time', description: 'When the recording started: retention runs from it and access requests select by it.' },
    recordedAtSource: {
      type: 'string', enum: ['request', 'container', 'upload'] satisfies RecordingTimeSource[],
      description: "How recordedAt is known: the request's recordedAt, the clip's own creation time, or the upload's arrival minus the clip's duration (no plausible time given).",
    },
    state: { type: 'string', enum: JOB_STATES, description: 'queued: waiting to run (with `error` when a fault of the box sent it back and it runs again later); running; done; failed (the clip was unusable).' },
    bytes: { type: 'integer' }, framesDone: { type: 'integer' }, framesExpected: { type: ['integer', 'null'] },
    progress: { type: ['number', 'null'], description: 'Share of frames done (0–1, three decimals), when the clip announces its frame count.' },
    error: { type: ['string', 'null'] }, segmentId: { type: ['string', 'null'] },
    createdAt: { type: 'string' }, finishedAt: { type: ['string', 'null'] },
  },
} as const;

function view(job: UploadJob) {
  return {
    ...job,
    progress: job.state === 'done' ? 1 : job.framesExpected ? Math.min(1, Math.round((job.framesDone / job.framesExpected) * 1000) / 1000) : null,
    recordedAt: new Date(job.recordedAt).toISOString(),
    createdAt: new Date(job.createdAt).toISOString(),
    finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
  };
}

/** Operators, admins, or a device token with the `upload` scope (which may upload only as its own camera). */
function mayUpload(principal: Principal): boolean {
  return principal.roles.some((role) => role === 'operator' || role === 'admin') || (principal.deviceId !== undefined && principal.scopes.includes('upload'));
}

/** `POST /v1/uploads?camera=<id>` (raw video body, streamed to disk) → 202 with a job; `GET /v1/jobs/:id` for progress. */
export const uploadsRoutes: FastifyPluginAsync<{ service: UploadsApiService }> = async (app, { service }) => {
  // The body stays a stream (fastify's bodyLimit does not apply to it): the service enforces its own size limit.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.post('/v1/uploads', {
    preValidation: app.guards.requireRole(),
    schema: {
      tags: ['uploads'], summary: 'Upload a body-worn clip for redaction', security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false, required: ['camera'],
        properties: {
          camera: CAMERA_ID,
          recordedAt: {
            type: 'string', format: 'date-time',
            description: "When the device started recording the clip (RFC 3339). Without it the clip's own creation time is used when plausible, else the upload's arrival minus the clip's duration.",
          },
        },
      },
      response: { 202: jobSchema },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    if (!mayUpload(principal)) throw new GatewayError('PGW_ERR_FORBIDDEN', 'uploads need the operator role or a device token with the upload scope', { subject: principal.subject });
    const length = request.headers['content-length'];
    const declared = length === undefined ? undefined : Number(length);
    const query = request.query as { camera: string; recordedAt?: string };
    const job = await service.accept(principal, query.camera, request.body as Readable, {
      ...(declared === undefined ? {} : { declaredBytes: declared }),
      ...(query.recordedAt === undefined ? {} : { recordedAtMs: Date.parse(query.recordedAt) }),
    });
    return reply.code(202).send(view(job));
  });
  app.get('/v1/jobs/:id', {
    preValidation: app.guards.requireRole(),
    schema: {
      tags: ['uploads'], summary: 'Progress of an upload job', security: [{ bearer: [] }],
      params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^job_[0-9a-f]{24}$' } } },
      response: { 200: jobSchema },
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const job = service.job(id);
    // A device sees only its own camera's jobs; another camera's job is as unknown to it as a missing one.
    const { deviceId } = principalOf(request);
    if (deviceId !== undefined && job.camera !== deviceId) throw new GatewayError('PGW_ERR_NOT_FOUND', `no job ${id}`, { job: id });
    return view(job);
  });
  app.get('/v1/jobs', {
    preValidation: app.guards.requireRole('operator', 'admin', 'auditor'),
    schema: {
      tags: ['uploads'], summary: 'Upload jobs, newest first (e.g. the queued ones waiting after a full disk)', security: [{ bearer: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { state: { type: 'string', enum: JOB_STATES }, camera: CAMERA_ID, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
      },
      response: { 200: { type: 'object', additionalProperties: false, required: ['jobs'], properties: { jobs: { type: 'array', items: jobSchema } } } },
    },
  }, async (request) => {
    const { limit, ...filter } = request.query as { state?: UploadJob['state']; camera?: string; limit: number };
    return { jobs: service.list(filter).slice(0, limit).map(view) };
  });
};
