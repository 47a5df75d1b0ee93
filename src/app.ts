import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { systemClock } from './shared/clock.js';
import { GatewayError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { AuditPort, HoldPort } from './shared/ports.js';
import type { Authenticator } from './shared/types.js';
import { createUplink } from './uplink/build-uplink.js';
import { createSinks } from './uplink/sink-factory.js';
import type { UplinkService } from './uplink/uplink-service.js';

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

/** Until the audit module is wired here, uplink alarms go to the structured log as audit-shaped events. */
function logAudit(logger: Logger): AuditPort {
  return { append: (event) => logger.warn({ audit: event }, 'audit event') };
}

/** Until the retention module (legal holds) is wired here, no data is under hold. */
const noHolds: HoldPort = { isHeld: () => false };

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger): Gateway {
  let catalog: CatalogDatabase | undefined;
  let uplink: UplinkService | undefined;
  let api: FastifyInstance | undefined;
  const registry = new Registry();
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      if (config.uplink.enabled) {
        uplink = createUplink({ config, catalog, clock: systemClock, logger, registry, audit: logAudit(logger), holds: noHolds }, createSinks(config, logger));
        await uplink.start();
      }
      api = await buildServer(
        { logger, authenticator: denyAll, health: { live: () => true, notReady: () => [] }, ...(uplink && { uplink }) },
        { version: GATEWAY_VERSION },
      );
      const url = await api.listen({ host: config.http.host, port: config.http.port });
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await api?.close();
      await uplink?.stop();
      catalog?.close();
    },
  };
}
