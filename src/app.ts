import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { GatewayError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
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

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger): Gateway {
  let catalog: CatalogDatabase | undefined;
  let api: FastifyInstance | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      api = await buildServer(
        { logger, authenticator: denyAll, health: { live: () => true, notReady: () => [] } },
        { version: GATEWAY_VERSION },
      );
      const url = await api.listen({ host: config.http.host, port: config.http.port });
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await api?.close();
      catalog?.close();
    },
  };
}
