import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { CatalogDatabase } from '../catalog/database.js';
import { OutboxStore } from '../catalog/outbox-store.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort, HoldPort } from '../shared/ports.js';
import { FilesystemSink } from './filesystem-sink.js';
import { MqttSink } from './mqtt-sink.js';
import { PostgresSink } from './postgres-sink.js';
import { S3Sink } from './s3-sink.js';
import type { Sink } from './sink.js';
import { SpoolGuard } from './spool-guard.js';
import { UplinkService } from './uplink-service.js';

export interface UplinkDependencies {
  readonly config: Readonly<Config>;
  readonly catalog: CatalogDatabase;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly audit: AuditPort;
  readonly holds: HoldPort;
}

/** `<dataDir>/spool`: redacted media waits here until delivered and until local retention ends. */
export function spoolDirectory(config: Readonly<Config>): string {
  return join(config.dataDir, 'spool');
}

/** The configured sinks; the filesystem sink defaults to `<dataDir>/central`. */
export function createSinks(config: Readonly<Config>, logger: Logger): Sink[] {
  const { sinks, gatewayId } = config.uplink;
  const created: Sink[] = [];
  if (sinks.filesystem.enabled) {
    created.push(new FilesystemSink(sinks.filesystem.dir === '' ? join(config.dataDir, 'central') : sinks.filesystem.dir, logger));
  }
  if (sinks.s3.enabled) {
    created.push(new S3Sink({
      bucket: sinks.s3.bucket, prefix: sinks.s3.prefix, multipartThresholdBytes: sinks.s3.multipartThresholdBytes,
      partSizeBytes: sinks.s3.partSizeBytes, logger,
      client: { region: sinks.s3.region, forcePathStyle: sinks.s3.forcePathStyle, ...(sinks.s3.endpoint !== '' && { endpoint: sinks.s3.endpoint }) },
    }));
  }
  if (sinks.postgres.enabled) created.push(new PostgresSink({ url: sinks.postgres.url, schema: sinks.postgres.schema, logger }));
  if (sinks.mqtt.enabled) {
    created.push(new MqttSink({
      url: sinks.mqtt.url, topicPrefix: sinks.mqtt.topicPrefix, clientId: `pgw-uplink-${gatewayId}`.slice(0, 64),
      publishTimeoutMs: sinks.mqtt.publishTimeoutMs, logger,
    }));
  }
  return created;
}

/** Builds the uplink from configuration; nothing runs until `start()`. */
export function createUplink(deps: UplinkDependencies, sinks: readonly Sink[] = createSinks(deps.config, deps.logger)): UplinkService {
  const { config, catalog, clock, registry } = deps;
  const logger = deps.logger.child({ module: 'uplink' });
  const settings = config.uplink;
  const store = new OutboxStore(catalog, sinks, clock);
  const spool = new SpoolGuard({
    root: spoolDirectory(config), policy: settings.spool, localRetentionMs: settings.spool.localRetentionMs,
    store, holds: deps.holds, audit: deps.audit, clock, logger, registry,
  });
  return new UplinkService({
    store, sinks, spool, clock, logger, registry, gatewayId: settings.gatewayId, batchSize: settings.batchSize,
    pollIntervalMs: settings.pollIntervalMs, spoolCheckIntervalMs: settings.spool.checkIntervalMs,
    retry: { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs },
    circuit: { failureThreshold: settings.circuitFailureThreshold, openMs: settings.circuitOpenMs },
  });
}
