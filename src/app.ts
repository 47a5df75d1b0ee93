import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { createRetention, type RetentionModule } from './retention/retention-module.js';
import { SpoolRetentionSource } from './retention/spool-source.js';
import { systemClock } from './shared/clock.js';
import { GatewayError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { AuditPort } from './shared/ports.js';
import type { Authenticator } from './shared/types.js';

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

/** Until an audit log is wired, everything that must be audited (deletions, holds, rule changes) is refused. */
const noAuditLog: AuditPort = {
  append: () => {
    throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'no audit log is configured');
  },
};

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger): Gateway {
  let catalog: CatalogDatabase | undefined;
  let retention: RetentionModule | undefined;
  let api: FastifyInstance | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      retention = createRetention({
        db: catalog,
        config: config.retention,
        sources: [new SpoolRetentionSource({ root: join(config.dataDir, 'spool') })],
        audit: noAuditLog,
        clock: systemClock,
        logger,
      });
      retention.sweeper.start();
      api = await buildServer(
        { logger, authenticator: denyAll, health: { live: () => true, notReady: () => [] }, retention: retention.service, holds: retention.service },
        { version: GATEWAY_VERSION },
      );
      const url = await api.listen({ host: config.http.host, port: config.http.port });
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await api?.close();
      await retention?.sweeper.stop();
      catalog?.close();
    },
  };
}
