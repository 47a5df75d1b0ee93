import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import type { CatalogDatabase } from '../../src/catalog/database.js';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/shared/clock.js';
import { GatewayError } from '../../src/shared/errors.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import { ROLES, type Authenticator, type Role } from '../../src/shared/types.js';
import { createUplink } from '../../src/uplink/build-uplink.js';
import { FilesystemSink } from '../../src/uplink/filesystem-sink.js';
import type { UplinkService } from '../../src/uplink/uplink-service.js';
import { RecordingAudit, SwitchableSink, temporaryDirectory, testCatalog } from './helpers.js';

/** Test identity provider: `Bearer <role>` authenticates as a principal with that role. */
const roleAuthenticator: Authenticator = {
  authenticate: async (authorization) => {
    const role = authorization?.replace(/^Bearer /, '') as Role | undefined;
    if (!role || !ROLES.includes(role)) throw new GatewayError('PGW_ERR_UNAUTHORIZED', 'bearer token required');
    return { subject: `user-${role}`, roles: [role], authMethods: ['pwd'], scopes: [] };
  },
};

describe('GET /v1/uplink/status', () => {
  const directory = temporaryDirectory('uplink-route');
  let catalog: CatalogDatabase;
  let uplink: UplinkService;
  let app: FastifyInstance;
  const broken = new SwitchableSink(new FilesystemSink(join(directory.path, 'elsewhere'), silentLogger(), 'archive'));

  beforeAll(async () => {
    const config = configSchema.parse({ dataDir: directory.path, uplink: { pollIntervalMs: 20, retryBaseMs: 50, circuitFailureThreshold: 2, circuitOpenMs: 60_000 } });
    catalog = testCatalog(directory.path);
    broken.down = true;
    uplink = createUplink({
      config, catalog, clock: systemClock, logger: silentLogger(), registry: new Registry(), audit: new RecordingAudit(), holds: { isHeld: () => false },
    }, [new FilesystemSink(join(directory.path, 'central'), silentLogger()), broken]);
    await uplink.start();
    app = await buildServer({ logger: silentLogger(), authenticator: roleAuthenticator, health: { live: () => true, notReady: () => [] }, uplink }, { version: 'test' });
    for (let id = 0; id < 3; id += 1) uplink.enqueue({ kind: 'sensor_aggregate', key: idempotencyKey(`agg:${id}`, jsonSha256({ id })), body: { id } });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && uplink.status().sinks[0]!.backlog > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  afterAll(async () => {
    await app.close();
    await uplink.stop();
    catalog.close();
    directory.remove();
  });

  it('shows per sink backlog, oldest item age, last error and circuit state, and the spool', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/uplink/status', headers: { authorization: 'Bearer operator' } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.sinks).toHaveLength(2);
    expect(body.sinks[0]).toMatchObject({ name: 'filesystem', backlog: 0, delivered: 3, circuit: 'closed', lastError: null, oldestItemAgeMs: null });
    expect(body.sinks[0].lastDeliveryAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(body.sinks[1]).toMatchObject({ name: 'archive', backlog: 3, delivered: 0, circuit: 'open', lastError: 'central storage unreachable' });
    expect(body.sinks[1].oldestItemAgeMs).toBeGreaterThanOrEqual(0);
    expect(body.spool).toMatchObject({ underPressure: false, acceptingOriginals: true, reason: null });
  });

  it.each(['admin', 'auditor'])('is readable by %s', async (role) => {
    const response = await app.inject({ method: 'GET', url: '/v1/uplink/status', headers: { authorization: `Bearer ${role}` } });
    expect(response.statusCode).toBe(200);
  });

  it.each([['investigator', 403], ['approver', 403], ['', 401]])('refuses %s with %i as a problem document', async (role, status) => {
    const response = await app.inject({ method: 'GET', url: '/v1/uplink/status', headers: role ? { authorization: `Bearer ${role}` } : {} });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).not.toContain('central storage unreachable');
  });

  it('rejects unknown query parameters', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/uplink/status?verbose=1', headers: { authorization: 'Bearer operator' } });
    expect(response.statusCode).toBe(400);
  });
});
