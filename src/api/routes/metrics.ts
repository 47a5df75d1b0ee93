import type { FastifyPluginAsync } from 'fastify';

/** The Prometheus registry as the metrics route needs it. */
export interface MetricsService {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** `GET /metrics` in the Prometheus text format; any authenticated role (scrapers use a service token). */
export const metricsRoutes: FastifyPluginAsync<{ service: MetricsService }> = async (app, { service }) => {
  app.get('/metrics', { preValidation: app.guards.requireRole(), schema: { hide: true } }, async (_request, reply) => {
    return reply.type(service.contentType).send(await service.metrics());
  });
};
