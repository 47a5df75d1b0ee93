import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createSecurityStack, type SecurityStack } from './access/security-stack.js';
import { resolveFfmpegPath } from './access/remux.js';
import { JwtAuthenticator } from './api/jwt-authenticator.js';
import { buildServer } from './api/server.js';
import { findConsoleRoot } from './api/routes/console.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { startDemoCamera, type DemoCamera } from './pipeline/demo-camera.js';
import { createRetention, type RetentionModule } from './retention/retention-module.js';
import { SpoolRetentionSource } from './retention/spool-source.js';
import { VaultRetentionSource } from './retention/vault-source.js';
import { systemClock, type Clock } from './shared/clock.js';
import { GatewayError } from './shared/errors.js';
import type { HoldPort, OutboxPort } from './shared/ports.js';
import { MqttTopicSensorForwarder, OutboxSensorForwarder, type SensorForwarder } from './sensors/sensor-forwarders.js';
import { SensorService } from './sensors/sensor-service.js';
import type { Logger } from './shared/logger.js';
import type { Principal, Role } from './shared/types.js';
import { Registry } from 'prom-client';
import { createUplink } from './uplink/build-uplink.js';
import { createSinks } from './uplink/sink-factory.js';
import type { UplinkService } from './uplink/uplink-service.js';

export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** Starts every component and the HTTP API; resolves with the API's base URL (and the demo camera's output folder). */
  start(): Promise<{ url: string; demoOutputDir?: string }>;
  /** Stops components in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

/** Every long-lived component, so that `stop()` can close them in reverse order of creation. */
export interface Components {
  security: SecurityStack;
  retention: RetentionModule;
  uplink?: UplinkService;
  sensors?: SensorComponent;
  registry: Registry;
  api: FastifyInstance;
}

async function createAuthenticator(config: Readonly<Config>, security: SecurityStack, clock: Clock, logger: Logger): Promise<JwtAuthenticator> {
  return new JwtAuthenticator({
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
    audit: security.audit,
    logger,
  });
}

interface SensorComponent {
  service: SensorService;
  forwarder: SensorForwarder;
}

/** Sensor ingest → policy → forwarder: the uplink outbox, or a topic on the same broker. */
function createSensors(config: Readonly<Config>, logger: Logger, clock: Clock, security: SecurityStack, outbox: OutboxPort | undefined): SensorComponent {
  const settings = config.sensors;
  let forwarder: SensorForwarder;
  if (settings.output === 'outbox') {
    if (!outbox) throw new GatewayError('PGW_ERR_CONFIG_INVALID', "sensors.output is 'outbox' but uplink.enabled is false: enable the uplink or set sensors.output to 'mqtt'");
    forwarder = new OutboxSensorForwarder(outbox);
  } else {
    const mqttForwarder = new MqttTopicSensorForwarder({
      url: settings.mqttUrl,
      clientId: `${settings.clientId}-out`,
      protocolVersion: settings.protocolVersion,
      topicPrefix: settings.outputTopic,
      reconnectMs: settings.reconnectMinMs,
    }, logger.child({ module: 'sensors' }));
    mqttForwarder.start();
    forwarder = mqttForwarder;
  }
  const service = new SensorService({ config: settings, dataDir: config.dataDir, logger, clock, audit: security.audit, forwarder });
  return { service, forwarder };
}

/** Builds every component and the HTTP API over an open catalog; starts nothing that runs on a timer. */
export async function composeApi(config: Readonly<Config>, logger: Logger, clock: Clock, catalog: CatalogDatabase): Promise<Components> {
  const security = createSecurityStack({ config, db: catalog, logger, clock, ffmpegPath: resolveFfmpegPath() });
  await security.start();
  const audit = security.audit;
  const authenticator = await createAuthenticator(config, security, clock, logger);
  const retention = createRetention({
    db: catalog,
    config: config.retention,
    sources: [new SpoolRetentionSource({ root: join(config.dataDir, 'spool') }), new VaultRetentionSource(security.vault)],
    audit,
    clock,
    logger,
  });
  const registry = new Registry();
  const holds: HoldPort = {
    isHeld: (artefact) =>
      retention.service.isHeld({
        id: artefact.key,
        dataClass: artefact.kind === 'segment' ? 'redacted' : artefact.kind === 'sensor_record' || artefact.kind === 'sensor_aggregate' ? 'sensor_minimized' : 'metadata',
        ...(artefact.group ? { cameraId: artefact.group } : {}),
        recordedAt: artefact.createdAt,
      }),
  };
  const uplink = config.uplink.enabled
    ? createUplink({ config, catalog, clock, logger, registry, audit, holds }, createSinks(config, logger))
    : undefined;
  // Signed audit checkpoints leave the box through the uplink (F3).
  if (uplink) audit.attachOutbox(uplink);
  const sensors = config.sensors.enabled ? createSensors(config, logger, clock, security, uplink) : undefined;
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
      retention: retention.service,
      holds: retention.service,
      ...(uplink ? { uplink } : {}),
      ...(sensors ? { sensors: sensors.service } : {}),
    },
    { version: GATEWAY_VERSION, ...(config.http.console ? { consoleRoot: findConsoleRoot() } : {}) },
  );
  return { security, retention, ...(uplink ? { uplink } : {}), ...(sensors ? { sensors } : {}), registry, api };
}

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock): Gateway {
  let catalog: CatalogDatabase | undefined;
  let components: Components | undefined;
  let demo: DemoCamera | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      components = await composeApi(config, logger, clock, catalog);
      components.retention.sweeper.start();
      await components.uplink?.start();
      await components.sensors?.service.start();
      const url = await components.api.listen({ host: config.http.host, port: config.http.port });
      if (config.pipeline.demoCamera) demo = await startDemoCamera(config, logger, clock, components.security.audit);
      return { url, ...(demo ? { demoOutputDir: demo.outputDir } : {}) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await demo?.stop();
      await components?.api.close();
      await components?.sensors?.service.stop();
      await components?.sensors?.forwarder.close();
      await components?.uplink?.stop();
      await components?.retention.sweeper.stop();
      components?.security.stop();
      catalog?.close();
    },
  };
}
