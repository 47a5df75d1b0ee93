import type { FastifyPluginAsync } from 'fastify';

export interface HealthService {
  /** True while the process is alive and its event loop turns. */
  live(): boolean;
  /** Names of components that are not ready; empty when ready to serve. */
  notReady(): string[];
}

export const healthRoutes: FastifyPluginAsync<{ service: HealthService }> = async (app, { service }) => {
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    return reply.code(service.live() ? 200 : 503).send({ status: service.live() ? 'ok' : 'down' });
  });
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const pending = service.notReady();
    return reply.code(pending.length === 0 ? 200 : 503).send({ status: pending.length === 0 ? 'ready' : 'starting', pending });
  });
};
