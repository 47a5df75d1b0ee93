import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { CatalogDatabase } from '../catalog/database.js';
import { OutboxStore } from '../catalog/outbox-store.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort, HoldPort } from '../shared/ports.js';
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

/** Builds the uplink from configuration and its sinks (see `createSinks`); nothing runs until `start()`. */
export function createUplink(deps: UplinkDependencies, sinks: readonly Sink[]): UplinkService {
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
