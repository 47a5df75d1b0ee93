import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { startDemoCamera, type DemoCamera } from './pipeline/demo-camera.js';
import { systemClock } from './shared/clock.js';
import { GatewayError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { Authenticator } from './shared/types.js';

export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** Starts every component and the HTTP API; resolves with the API's base URL (and the demo camera's output folder). */
  start(): Promise<{ url: string; demoOutputDir?: string }>;
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
  let demo: DemoCamera | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      api = await buildServer(
        { logger, authenticator: denyAll, health: { live: () => true, notReady: () => [] } },
        { version: GATEWAY_VERSION },
      );
      const url = await api.listen({ host: config.http.host, port: config.http.port });
      if (config.pipeline.demoCamera) demo = await startDemoCamera(config, logger, systemClock);
      return { url, ...(demo ? { demoOutputDir: demo.outputDir } : {}) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await demo?.stop();
      await api?.close();
      catalog?.close();
    },
  };
}
