import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createSecurityStack, type SecurityStack } from './access/security-stack.js';
import { resolveFfmpegPath } from './access/remux.js';
import { JwtAuthenticator } from './api/jwt-authenticator.js';
import { buildServer } from './api/server.js';
import type { Config } from './config/schema.js';
import { openCatalog, type CatalogDatabase } from './catalog/database.js';
import { createRetention, type RetentionModule } from './retention/retention-module.js';
import { SpoolRetentionSource } from './retention/spool-source.js';
import { liveOriginalsFromCatalog, VaultOriginalsSource } from './retention/vault-originals-source.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { Logger } from './shared/logger.js';
import type { Principal, Role } from './shared/types.js';

export const GATEWAY_VERSION = '0.1.0';

export interface Gateway {
  /** Starts every component and the HTTP API; resolves with the API's base URL. */
  start(): Promise<{ url: string }>;
  /** Stops components in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

/** Every long-lived component, so that `stop()` can close them in reverse order of creation. */
export interface Components {
  security: SecurityStack;
  retention: RetentionModule;
  api: FastifyInstance;
}

/** Builds every component and the HTTP API over an open catalog; starts nothing that runs on a timer. */
export async function composeApi(config: Readonly<Config>, logger: Logger, clock: Clock, catalog: CatalogDatabase): Promise<Components> {
  const security = createSecurityStack({ config, db: catalog, logger, clock, ffmpegPath: resolveFfmpegPath() });
  await security.start();
  const audit = security.audit;
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
  const retention = createRetention({
    db: catalog,
    config: config.retention,
    sources: [
      new VaultOriginalsSource({ liveOriginals: liveOriginalsFromCatalog(catalog), shred: (originalId, by) => security.vault.shred(originalId, by) }),
      new SpoolRetentionSource({ root: join(config.dataDir, 'spool') }),
    ],
    audit,
    clock,
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
      retention: retention.service,
      holds: retention.service,
    },
    { version: GATEWAY_VERSION },
  );
  return { security, retention, api };
}

/** Composition root: the only place that knows concrete classes and wires them together. */
export function createGateway(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock): Gateway {
  let catalog: CatalogDatabase | undefined;
  let components: Components | undefined;
  let stopped = false;
  return {
    async start() {
      catalog = openCatalog(join(config.dataDir, 'catalog.db'));
      components = await composeApi(config, logger, clock, catalog);
      components.retention.sweeper.start();
      const url = await components.api.listen({ host: config.http.host, port: config.http.port });
      return { url };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await components?.api.close();
      await components?.retention.sweeper.stop();
      components?.security.stop();
      catalog?.close();
    },
  };
}
