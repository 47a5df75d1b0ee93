import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createSecurityStack, type SecurityStack } from './access/security-stack.js';
import { JwtAuthenticator } from './api/jwt-authenticator.js';
import { buildServer } from './api/server.js';
import { findConsoleRoot } from './api/routes/console.js';
import { CameraService, DEMO_CAMERA } from './cameras/camera-service.js';
import { LazyFileRedactor } from './cameras/offline-redactor.js';
import { UploadRecords } from './cameras/upload-records.js';
import { UploadService } from './cameras/upload-service.js';
import { mediaTools } from './media/media-tools.js';
import { CameraStore } from './catalog/camera-store.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { createRetention, type RetentionModule } from './retention/retention-module.js';
import { SpoolRetentionSource } from './retention/spool-source.js';
import { VaultRetentionSource } from './retention/vault-source.js';
import { segmentStartOf } from './shared/segments.js';
import { systemClock, type Clock } from './shared/clock.js';
import { GatewayError } from './shared/errors.js';
import type { HoldPort, OutboxPort } from './shared/ports.js';
import { MqttTopicSensorForwarder, OutboxSensorForwarder, type SensorForwarder } from './sensors/sensor-forwarders.js';
import { SensorService } from './sensors/sensor-service.js';
import { prepareDataDir } from './shared/data-dir.js';
import type { Logger } from './shared/logger.js';
import type { CameraKind, Principal, Role } from './shared/types.js';
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
  cameras: CameraService;
  uploads: { service: UploadService; redactor: LazyFileRedactor };
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

/** Live cameras (one process each) and body-worn uploads; segments go to the spool and the outbox, originals to the vault. */
function createCameras(config: Readonly<Config>, logger: Logger, clock: Clock, catalog: CatalogDatabase, security: SecurityStack, registry: Registry, uplink: UplinkService | undefined, records: UploadRecords) {
  const cameras = new CameraService({
    cameras: config.cameras, pipeline: config.pipeline, dataDir: config.dataDir, store: new CameraStore(catalog),
    originals: security.vault, audit: security.audit, registry, clock, logger, ...(uplink ? { outbox: uplink, pressure: uplink } : {}),
  });
  const uploadRedactor = new LazyFileRedactor(config.pipeline, logger.child({ module: 'uploads' }));
  const uploads = new UploadService({
    dataDir: config.dataDir, records, maxBytes: config.cameras.uploadMaxBytes, maxPixels: config.cameras.uploadMaxPixels, maxAgeMs: config.cameras.uploadMaxAgeHours * 3_600_000, tools: mediaTools(), clock, logger: logger.child({ module: 'uploads' }),
    publisher: cameras.publisher, keys: security.vault, camera: (id) => cameras.get(id), redactor: () => uploadRedactor.get(), ...(uplink ? { pressure: uplink } : {}),
    retry: { minMs: config.cameras.uploadRetryMinMs, maxMs: config.cameras.uploadRetryMaxMs },
  });
  return { cameras, uploads, uploadRedactor };
}

/**
 * Legal holds as uplink eviction sees them: a spooled artefact is held when a hold covers its camera and any time
 * from its recording start (named in a segment's id; a body-worn upload may be recorded days before it is spooled)
 * to when it was spooled.
 */
export function holdPortOf(retention: RetentionModule): HoldPort {
  return {
    isHeld: (artefact) =>
      retention.service.isHeld({
        id: artefact.key,
        dataClass: artefact.kind === 'segment' ? 'redacted' : artefact.kind === 'sensor_record' || artefact.kind === 'sensor_aggregate' ? 'sensor_minimized' : 'metadata',
        ...(artefact.group ? { cameraId: artefact.group } : {}),
        recordedAt: Math.min(segmentStartOf(artefact.key) ?? artefact.createdAt, artefact.createdAt),
        recordedUntil: artefact.createdAt,
      }),
  };
}

/** Retention's camera kinds from the camera registry, read when a sweep runs (the registry is built after retention). */
function cameraKindLookup(registry: () => CameraService | undefined): (cameraId: string) => CameraKind | undefined {
  return (cameraId) => {
    const camera = registry()?.list().find((candidate) => candidate.id === cameraId);
    if (!camera) return undefined;
    return camera.kind === 'bodyworn' ? 'body_worn' : 'fixed';
  };
}

/** Builds every component and the HTTP API over an open catalog; starts nothing that runs on a timer. */
export async function composeApi(config: Readonly<Config>, logger: Logger, clock: Clock, catalog: CatalogDatabase): Promise<Components> {
  const security = createSecurityStack({ config, db: catalog, logger, clock });
  // Waiting uploads' keys are sealed by the vault's KEK: a rotation (also one finished at this start) re-seals them.
  const uploadRecords = UploadRecords.of(config.dataDir);
  security.vault.holdSealedKeys(uploadRecords);
  await security.start();
  const audit = security.audit;
  const authenticator = await createAuthenticator(config, security, clock, logger);
  // Retention asks camera kinds through this; the camera service is built after retention (it needs the uplink).
  const cameraRef: { service?: CameraService } = {};
  const cameraKindOf = cameraKindLookup(() => cameraRef.service);
  const retention = createRetention({
    db: catalog,
    config: config.retention,
    sources: [new SpoolRetentionSource({ root: join(config.dataDir, 'spool'), cameraKindOf }), new VaultRetentionSource(security.vault, cameraKindOf)],
    audit,
    clock,
    logger,
  });
  const registry = new Registry();
  const holds = holdPortOf(retention);
  const uplink = config.uplink.enabled
    ? createUplink({ config, catalog, clock, logger, registry, audit, holds }, createSinks(config, logger))
    : undefined;
  // Signed audit checkpoints leave the box through the uplink (F3).
  if (uplink) audit.attachOutbox(uplink);
  const sensors = config.sensors.enabled ? createSensors(config, logger, clock, security, uplink) : undefined;
  const { cameras, uploads, uploadRedactor } = createCameras(config, logger, clock, catalog, security, registry, uplink, uploadRecords);
  cameraRef.service = cameras;
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
      health: { live: () => true, notReady: () => cameras.notStreaming() },
      accessRequests: security.accessApi(),
      publicExports: security.publicExportsApi(),
      audit: security.auditApi(),
      keys: security.keysApi(),
      retention: retention.service,
      holds: retention.service,
      ...(uplink ? { uplink } : {}),
      ...(sensors ? { sensors: sensors.service } : {}),
      cameras,
      uploads,
      metrics: registry,
    },
    { version: GATEWAY_VERSION, ...(config.http.console ? { consoleRoot: findConsoleRoot() } : {}) },
  );
  return { security, retention, ...(uplink ? { uplink } : {}), ...(sensors ? { sensors } : {}), cameras, uploads: { service: uploads, redactor: uploadRedactor }, registry, api };
}

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock): Gateway {
  let catalog: CatalogDatabase | undefined;
  let components: Components | undefined;
  let stopped = false;
  return {
    async start() {
      prepareDataDir(config.dataDir, logger);
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      components = await composeApi(config, logger, clock, catalog);
      components.retention.sweeper.start();
      await components.uplink?.start();
      await components.sensors?.service.start();
      components.cameras.start();
      await components.uploads.service.resume();
      const url = await components.api.listen({ host: config.http.host, port: config.http.port });
      // The demo camera is a registry camera like any other (own process, vault, sidecars, outbox, status).
      const demo = components.cameras.list().some((camera) => camera.id === DEMO_CAMERA.id);
      return { url, ...(demo ? { demoOutputDir: join(config.dataDir, 'spool', DEMO_CAMERA.id) } : {}) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await components?.api.close();
      await components?.uploads.service.stop();
      await components?.uploads.redactor.close();
      await components?.cameras.stop();
      await components?.sensors?.service.stop();
      await components?.sensors?.forwarder.close();
      await components?.uplink?.stop();
      await components?.retention.sweeper.stop();
      components?.security.stop();
      catalog?.close();
    },
  };
}
