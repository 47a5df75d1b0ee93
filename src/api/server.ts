import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { GatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Authenticator } from '../shared/types.js';
import { createAuthGuards, type AccessDeniedListener, type AuthGuards } from './auth.js';
import { sendProblem, toProblem } from './problem.js';
import { accessRequestRoutes, type AccessRequestsService } from './routes/access-requests.js';
import { auditRoutes, type AuditReadService } from './routes/audit.js';
import { consoleRoutes } from './routes/console.js';
import { healthRoutes, type HealthService } from './routes/health.js';
import { keysRoutes, type KeysService } from './routes/keys.js';
import { holdRoutes, type HoldsApiService } from './routes/holds.js';
import { retentionRoutes, type RetentionApiService } from './routes/retention.js';
import { uplinkRoutes, type UplinkStatusService } from './routes/uplink.js';
import { sensorsRoutes, type SensorsApiService } from './routes/sensors.js';
import { camerasRoutes, type CamerasApiService } from './routes/cameras.js';
import { metricsRoutes, type MetricsService } from './routes/metrics.js';
import { uploadsRoutes, type UploadsApiService } from './routes/uploads.js';
import { publicExportRoutes, type PublicExportsApiService } from './routes/public-exports.js';

export interface ApiDependencies {
  logger: Logger;
  authenticator: Authenticator;
  onAccessDenied?: AccessDeniedListener;
  health: HealthService;
  accessRequests?: AccessRequestsService;
  publicExports?: PublicExportsApiService;
  audit?: AuditReadService;
  keys?: KeysService;
  retention?: RetentionApiService;
  holds?: HoldsApiService;
  uplink?: UplinkStatusService;
  sensors?: SensorsApiService;
  cameras?: CamerasApiService;
  metrics?: MetricsService;
  uploads?: UploadsApiService;
}

export interface ApiOptions {
  version: string;
  /** Largest request body accepted by JSON routes, in bytes. */
  bodyLimit?: number;
  rateLimitPerMinute?: number;
  /** Directory of the operator console's static files; no console when absent. */
  consoleRoot?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    guards: AuthGuards;
  }
}

/** Builds the HTTP API; never listens (main/app own the process). Tests call `inject()`. */
export async function buildServer(deps: ApiDependencies, options: ApiOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'api' });
  const app = Fastify({
    loggerInstance,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 120_000,
    keepAliveTimeout: 10_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  // Routes take JSON: a text body is refused as 415 rather than failing validation as "body must be object"
  // (uploads accept any media type in their own scope).
  app.removeContentTypeParser('text/plain');
  app.decorate('guards', createAuthGuards(deps.authenticator, deps.onAccessDenied));
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:', 'blob:'], connectSrc: ["'self'"], styleSrc: ["'self'"], scriptSrc: ["'self'"] },
    },
  });
  await app.register(rateLimit, { max: options.rateLimitPerMinute ?? 600, timeWindow: '1 minute' });
  await app.register(swagger, {
    openapi: {
      info: { title: 'privacy-gateway API', version: options.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, 'request refused');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler({ preHandler: app.rateLimit({ max: 120, timeWindow: '1 minute' }) }, (request, reply) => {
    const route = `${request.method} ${request.url.split('?')[0] ?? ''}`;
    return sendProblem(request, reply, toProblem(new GatewayError('PGW_ERR_NOT_FOUND', `no route ${route}`)));
  });

  await app.register(healthRoutes, { service: deps.health });
  if (deps.accessRequests) await app.register(accessRequestRoutes, { service: deps.accessRequests });
  if (deps.publicExports) await app.register(publicExportRoutes, { service: deps.publicExports });
  if (deps.audit) await app.register(auditRoutes, { service: deps.audit });
  if (deps.keys) await app.register(keysRoutes, { service: deps.keys });
  if (deps.retention) await app.register(retentionRoutes, { service: deps.retention });
  if (deps.holds) await app.register(holdRoutes, { service: deps.holds });
  if (deps.uplink) await app.register(uplinkRoutes, { service: deps.uplink });
  if (deps.sensors) await app.register(sensorsRoutes, { service: deps.sensors });
  if (deps.cameras) await app.register(camerasRoutes, { service: deps.cameras });
  if (deps.metrics) await app.register(metricsRoutes, { service: deps.metrics });
  if (deps.uploads) await app.register(uploadsRoutes, { service: deps.uploads });
  if (options.consoleRoot) await app.register(consoleRoutes, { root: options.consoleRoot });
  return app;
}
