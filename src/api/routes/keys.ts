import type { FastifyPluginAsync } from 'fastify';
import '../route-roles.js';
import { principalOf } from '../auth.js';
import type { Principal } from '../../shared/types.js';

/** Key management for admins: status of the vault's key-encryption keys and their rotation. */
export interface KeysService {
  status(): { activeKek: string; originalsByKek: Record<string, number>; signingKeyId: string };
  rotate(principal: Principal): Promise<{ fromKeks: readonly string[]; toKek: string; rewrapped: number }>;
}

const statusSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    activeKek: { type: 'string' },
    originalsByKek: { type: 'object', additionalProperties: { type: 'integer' } },
    signingKeyId: { type: 'string' },
  },
} as const;

export const keysRoutes: FastifyPluginAsync<{ service: KeysService }> = async (app, { service }) => {
  const adminOnly = app.guards.requireRole('admin');
  app.get('/v1/keys', { preValidation: adminOnly, schema: { tags: ['keys'], security: [{ bearer: [] }], 'x-roles': ['admin'], response: { 200: statusSchema } } }, async () => service.status());
  app.post('/v1/keys/rotate', {
    preValidation: adminOnly,
    config: { rateLimit: { max: 2, timeWindow: '1 minute' } },
    schema: {
      tags: ['keys'],
      security: [{ bearer: [] }], 'x-roles': ['admin'],
      response: { 200: { type: 'object', additionalProperties: false, properties: { fromKeks: { type: 'array', items: { type: 'string' } }, toKek: { type: 'string' }, rewrapped: { type: 'integer' } } } },
    },
  }, async (request) => service.rotate(principalOf(request)));
};
