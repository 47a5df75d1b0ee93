import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createSecurityStack, type SecurityStack } from './access/security-stack.js';
import { resolveFfmpegPath } from './access/remux.js';
import { JwtAuthenticator } from './api/jwt-authenticator.js';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { systemClock, type Clock } from './shared/clock.js';
import { GatewayError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { AuditPort } from './shared/ports.js';
import type { Principal, Role } from './shared/types.js';
import type { ApiDependencies } from './api/server.js';
import { MqttTopicSensorForwarder, type SensorForwarder } from './sensors/sensor-forwarders.js';
import { SensorService } from './sensors/sensor-service.js';

export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** Starts every component and the HTTP API; resolves with the API's base URL. */
  start(): Promise<{ url: string }>;
  /** Stops components in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

/** Components started after the security stack (they need its audit log) that add API services. */
export type ApiExtensions = (security: SecurityStack) => Promise<Partial<Pick<ApiDependencies, 'sensors'>>>;

/** The security components and the HTTP API over an open catalog (used by `start()` and by API tests). */
export async function composeApi(
  config: Readonly<Config>,
  logger: Logger,
  clock: Clock,
  catalog: CatalogDatabase,
  extend: ApiExtensions = async () => ({}),
): Promise<{ security: SecurityStack; api: FastifyInstance }> {
  const security = createSecurityStack({ config, db: catalog, logger, clock, ffmpegPath: resolveFfmpegPath() });
  await security.start();
  const audit = security.audit;
  const extensions = await extend(security);
  const authenticator = new JwtAuthenticator({
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    algorithms: config.auth.algorithms,
    clockToleranceSec: config.auth.clockToleranceSec,
    ...(config.auth.jwksFile ? { jwksFile: config.auth.jwksFile } : {}),
    ...(config.auth.jwksUrl ? { jwksUrl: config.auth.jwksUrl } : {}),
    localKeys: await security.localJwks(),
    failureLimit: config.auth.failureLimit,
    failureWindowMs: config.auth.failureWindowSec * 1000,
    clock,
    audit,
    logger,
  });
  const api = await buildServer(
    {
      logger,
      authenticator,
      onAccessDenied: (principal: Principal, request, needed: readonly Role[]) => {
        audit.append({
          actor: principal.subject,
          role: principal.roles.join(','),
          action: 'api.forbidden',
          object: `route:${request.method} ${request.routeOptions.url ?? request.url}`,
          outcome: 'denied',
          details: { needed },
        });
      },
      health: { live: () => true, notReady: () => [] },
      accessRequests: security.accessApi(),
      audit: security.auditApi(),
      keys: security.keysApi(),
      ...extensions,
    },
    { version: GATEWAY_VERSION },
  );
  return { security, api };
}

interface SensorComponent {
  service: SensorService;
  forwarder: SensorForwarder;
}

/** Sensor ingest → policy → forwarder. Until the uplink outbox is wired here, output goes to the broker's output topic. */
async function startSensors(config: Readonly<Config>, logger: Logger, clock: Clock, audit: AuditPort): Promise<SensorComponent> {
  const settings = config.sensors;
  if (settings.output === 'outbox') {
    throw new GatewayError('PGW_ERR_CONFIG_INVALID', "sensors.output 'outbox' needs the uplink outbox, which this build does not wire yet", {});
  }
  const forwarder = new MqttTopicSensorForwarder({
    url: settings.mqttUrl,
    clientId: `${settings.clientId}-out`,
    protocolVersion: settings.protocolVersion,
    topicPrefix: settings.outputTopic,
    reconnectMs: settings.reconnectMinMs,
  }, logger.child({ module: 'sensors' }));
  forwarder.start();
  const service = new SensorService({ config: settings, dataDir: config.dataDir, logger, clock, audit, forwarder });
  await service.start();
  return { service, forwarder };
}

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock): Gateway {
  let catalog: CatalogDatabase | undefined;
  let security: SecurityStack | undefined;
  let api: FastifyInstance | undefined;
  let sensors: SensorComponent | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      ({ security, api } = await composeApi(config, logger, clock, catalog, async (stack) => {
        if (!config.sensors.enabled) return {};
        sensors = await startSensors(config, logger, clock, stack.audit);
        return { sensors: sensors.service };
      }));
      const url = await api.listen({ host: config.http.host, port: config.http.port });
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await api?.close();
      await sensors?.service.stop();
      await sensors?.forwarder.close();
      security?.stop();
      catalog?.close();
    },
  };
}
