import type { FastifyPluginAsync } from 'fastify';
import { CAMERA_ID } from '../schema-parts.js';
import type { CameraStatus, Principal, Role } from '../../shared/types.js';
import { principalOf } from '../auth.js';

/** A camera as the API shows it; the service validates bodies against the camera configuration schema. */
export interface CameraApiView {
  id: string;
  kind: 'stationary' | 'bodyworn';
  source: string;
  profile: 'live' | 'thorough' | 'none';
  redactionStyle: 'pixelate' | 'blur' | 'fill';
  masks: readonly (readonly (readonly [number, number])[])[];
  retentionClass: string;
  audio: { enabled: boolean; justification: string };
  enabled: boolean;
  origin: 'config' | 'api';
}

/** What the camera routes need; implemented by the camera service, wired in app.ts. */
export interface CamerasApiService {
  list(): CameraApiView[];
  get(id: string): CameraApiView;
  put(principal: Principal, input: unknown, mode: 'create' | 'replace'): Promise<CameraApiView>;
  remove(principal: Principal, id: string): Promise<void>;
  status(id: string): CameraStatus;
  previews: { last(id: string): Buffer | undefined; subscribe(id: string, listener: (jpeg: Buffer) => void): () => void };
}

const params = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: CAMERA_ID } } as const;
const point = { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0, maximum: 1 } } as const;
const polygon = { type: 'array', minItems: 3, maxItems: 64, items: point } as const;

const cameraBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: CAMERA_ID,
    kind: { type: 'string', enum: ['stationary', 'bodyworn'] },
    source: { type: 'string', minLength: 1, maxLength: 2048 },
    profile: { type: 'string', enum: ['live', 'thorough', 'none'] },
    redactionStyle: { type: 'string', enum: ['pixelate', 'blur', 'fill'] },
    masks: { type: 'array', maxItems: 32, items: polygon },
    retentionClass: { type: 'string', minLength: 1, maxLength: 64 },
    audio: {
      type: 'object', additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, justification: { type: 'string', maxLength: 1000 } },
    },
    enabled: { type: 'boolean' },
  },
} as const;

const cameraView = {
  ...cameraBody,
  required: ['id', 'kind', 'source', 'profile', 'redactionStyle', 'masks', 'retentionClass', 'audio', 'enabled', 'origin'],
  properties: { ...cameraBody.properties, origin: { type: 'string', enum: ['config', 'api'] } },
} as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const statusView = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' }, state: { type: 'string' },
    inputFps: { type: 'number' }, outputFps: { type: 'number' },
    analysedFps: { type: 'number', description: 'Frames per second the detector analysed (latest frame wins; the others are redacted from tracks).' },
    droppedFrames: { type: 'integer', description: 'Analysis frames skipped because the detector was busy, since the camera was added; no video frame is dropped.' },
    failClosedFrames: { type: 'integer', description: 'Frames redacted whole because no analysis covered them in time (P1), since the camera was added.' },
    reconnects: { type: 'integer' },
    lastError: { type: ['string', 'null'] }, lastErrorAt: { type: ['string', 'null'] },
    width: nullableNumber, height: nullableNumber, segments: { type: 'integer' },
  },
} as const;

/** Strips credentials from RTSP URLs before a camera leaves the API. */
function shown(camera: CameraApiView): CameraApiView {
  return { ...camera, source: camera.source.replace(/^(rtsps?:\/\/)[^@/]*@/i, '$1***@') };
}

/** Camera registry (`/v1/cameras`), status and the redacted MJPEG preview; operator or admin role. */
export const camerasRoutes: FastifyPluginAsync<{ service: CamerasApiService }> = async (app, { service }) => {
  const guard = app.guards.requireRole('operator', 'admin');
  const common = { tags: ['cameras'], security: [{ bearer: [] }], 'x-roles': ['operator', 'admin'] as Role[] };
  app.get('/v1/cameras', { preValidation: guard, schema: { ...common, summary: 'List cameras', response: { 200: { type: 'object', additionalProperties: false, properties: { cameras: { type: 'array', items: cameraView } } } } } },
    async () => ({ cameras: service.list().map(shown) }));
  app.get('/v1/cameras/:id', { preValidation: guard, schema: { ...common, summary: 'One camera', params, response: { 200: cameraView } } },
    async (request) => shown(service.get((request.params as { id: string }).id)));
  app.post('/v1/cameras', { preValidation: guard, schema: { ...common, summary: 'Add a camera (starts it)', body: cameraBody, response: { 201: cameraView } } },
    async (request, reply) => reply.code(201).send(shown(await service.put(principalOf(request), request.body, 'create'))));
  app.put('/v1/cameras/:id', { preValidation: guard, schema: { ...common, summary: 'Replace a camera (restarts only it)', params, body: cameraBody, response: { 200: cameraView } } },
    async (request) => {
      const { id } = request.params as { id: string };
      return shown(await service.put(principalOf(request), { ...(request.body as object), id }, 'replace'));
    });
  app.delete('/v1/cameras/:id', { preValidation: guard, schema: { ...common, summary: 'Remove a camera (stops it)', params } },
    async (request, reply) => {
      await service.remove(principalOf(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    });
  app.get('/v1/cameras/:id/status', { preValidation: guard, schema: { ...common, summary: 'Live state and rates of a camera', params, response: { 200: statusView } } },
    async (request) => {
      const status = service.status((request.params as { id: string }).id);
      return { ...status, lastErrorAt: status.lastErrorAt === null ? null : new Date(status.lastErrorAt).toISOString() };
    });
  app.get('/v1/cameras/:id/preview.jpg', { preValidation: guard, schema: { ...common, summary: 'Latest redacted preview frame', params } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      service.get(id);
      const jpeg = service.previews.last(id);
      if (!jpeg) return reply.code(204).send();
      return reply.header('cache-control', 'no-store').type('image/jpeg').send(jpeg);
    });
  app.get('/v1/cameras/:id/preview.mjpeg', { preValidation: guard, schema: { ...common, summary: 'Redacted live preview (MJPEG)', params } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      service.get(id);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame', 'cache-control': 'no-store', connection: 'close' });
      const unsubscribe = service.previews.subscribe(id, (jpeg) => {
        raw.write(`--frame\r\ncontent-type: image/jpeg\r\ncontent-length: ${jpeg.length}\r\n\r\n`);
        raw.write(jpeg);
        raw.write('\r\n');
      });
      request.raw.once('close', unsubscribe);
    });
};
