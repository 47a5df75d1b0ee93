import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { GatewayError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { AuditPort } from './shared/ports.js';
import { systemClock } from './shared/clock.js';
import type { Authenticator } from './shared/types.js';
import { MqttTopicSensorForwarder, type SensorForwarder } from './sensors/sensor-forwarders.js';
import { SensorService } from './sensors/sensor-service.js';

export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** Starts every component and the HTTP API; resolves with the API's base URL. */
  start(): Promise<{ url: string }>;
  /** Stops components in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

const denyAll: Authenticator = {
  authenticate: () => Promise.reject(new GatewayError('PGW_ERR_UNAUTHORIZED', 'no identity provider is configured')),
};

/** Until the audit log is wired, every audited change is refused (fail closed, F4). */
const auditUnavailable: AuditPort = {
  append: () => {
    throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'no audit log is configured');
  },
};

async function startSensors(config: Readonly<Config>, logger: Logger): Promise<{ service: SensorService; forwarder: SensorForwarder }> {
  const settings = config.sensors;
  if (settings.output === 'outbox') {
    throw new GatewayError('PGW_ERR_CONFIG_INVALID', "sensors.output 'outbox' needs the uplink outbox, which this build does not include", {});
  }
  const forwarder = new MqttTopicSensorForwarder({
    url: settings.mqttUrl,
    clientId: `${settings.clientId}-out`,
    protocolVersion: settings.protocolVersion,
    topicPrefix: settings.outputTopic,
    reconnectMs: settings.reconnectMinMs,
  });
  await forwarder.start();
  const service = new SensorService({ config: settings, dataDir: config.dataDir, logger, clock: systemClock, audit: auditUnavailable, forwarder });
  await service.start();
  return { service, forwarder };
}

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger): Gateway {
  let catalog: CatalogDatabase | undefined;
  let api: FastifyInstance | undefined;
  let sensors: { service: SensorService; forwarder: SensorForwarder } | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      if (config.sensors.enabled) sensors = await startSensors(config, logger);
      api = await buildServer(
        { logger, authenticator: denyAll, health: { live: () => true, notReady: () => [] }, ...(sensors ? { sensors: sensors.service } : {}) },
        { version: GATEWAY_VERSION },
      );
      const url = await api.listen({ host: config.http.host, port: config.http.port });
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await api?.close();
      await sensors?.service.stop();
      await sensors?.forwarder.close();
      catalog?.close();
    },
  };
}
