import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { SensorService } from '../../src/sensors/sensor-service.js';
import { ManualClock } from '../../src/shared/clock.js';
import { GatewayError } from '../../src/shared/errors.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Authenticator, Principal, Role } from '../../src/shared/types.js';
import { CollectingForwarder } from './helpers/collecting-forwarder.js';
import { RecordingAudit, sensorConfig, tempDir } from './helpers/sensor-harness.js';
import type { TestBroker } from './helpers/brokers.js';

const people: Record<string, Role[]> = { 'op-token': ['operator'], 'inv-token': ['investigator'], 'aud-token': ['auditor'] };

const authenticator: Authenticator = {
  authenticate: async (authorization) => {
    const roles = people[authorization?.replace(/^Bearer /, '') ?? ''];
    if (!roles) throw new GatewayError('PGW_ERR_UNAUTHORIZED', 'unknown token');
    const principal: Principal = { subject: `user-${roles[0]}`, roles, authMethods: ['pwd'], scopes: [] };
    return principal;
  },
};

const unusedBroker: TestBroker = { url: 'mqtt://127.0.0.1:9', protocolVersion: 5, kind: 'mosquitto', close: async () => {} };

const counter = {
  id: 'traffic-counter',
  topics: ['sensors/traffic/+/count'],
  fields: { vehicles: { action: 'keep', type: 'integer', min: 0 } },
  output: { mode: 'record' },
};

describe('sensor policy API', () => {
  let app: FastifyInstance;
  let audit: RecordingAudit;
  let service: SensorService;

  beforeEach(async () => {
    audit = new RecordingAudit();
    const config = sensorConfig({ broker: unusedBroker, root: 'sensors', policyDir: 'config/policies', clientId: 'pgw-test-api' });
    service = new SensorService({ config, dataDir: tempDir('api'), logger: silentLogger(), clock: new ManualClock(), audit, forwarder: new CollectingForwarder() });
    app = await buildServer({ logger: silentLogger(), authenticator, health: { live: () => true, notReady: () => [] }, sensors: service }, { version: 'test' });
  });
  afterEach(async () => {
    await app.close();
  });

  const put = (token: string, body: unknown) =>
    app.inject({ method: 'PUT', url: '/v1/sensors/policies', headers: { authorization: `Bearer ${token}` }, payload: body as Record<string, unknown> });

  it('shows the active set with its version to operators only (D4)', async () => {
    const ok = await app.inject({ method: 'GET', url: '/v1/sensors/policies', headers: { authorization: 'Bearer op-token' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ version: 1, updatedBy: 'system:seed' });
    expect(ok.json().policies.map((p: { id: string }) => p.id)).toContain('wifi-presence');
    const forbidden = await app.inject({ method: 'GET', url: '/v1/sensors/policies', headers: { authorization: 'Bearer inv-token' } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['content-type']).toContain('application/problem+json');
    const anonymous = await app.inject({ method: 'GET', url: '/v1/sensors/policies' });
    expect(anonymous.statusCode).toBe(401);
    expect((await put('inv-token', { expectedVersion: 1, policies: [counter] })).statusCode).toBe(403);
  });

  it('stores a valid set as the next version and audits it', async () => {
    const response = await put('op-token', { expectedVersion: 1, policies: [counter] });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ version: 2, updatedBy: 'user-operator', policies: [{ id: 'traffic-counter' }] });
    expect(service.currentPolicies().version).toBe(2);
    expect(audit.events).toEqual([
      expect.objectContaining({ actor: 'user-operator', action: 'sensors.policies.update', object: 'sensor-policies:v2', outcome: 'success' }),
    ]);
    expect(audit.events[0]?.details).toMatchObject({ previousVersion: 1, version: 2, policies: ['traffic-counter'] });
    const stale = await put('op-token', { expectedVersion: 1, policies: [counter] });
    expect(stale.statusCode).toBe(409);
  });

  it.each([
    ['an unknown top-level field', { expectedVersion: 1, policies: [counter], extra: true }],
    ['an unknown policy key', { expectedVersion: 1, policies: [{ ...counter, forwardEverything: true }] }],
    ['an identifier kept in clear', { expectedVersion: 1, policies: [{ ...counter, fields: { mac: { action: 'keep', type: 'identifier' } } }] }],
    ['a policy that forwards tracks', {
      expectedVersion: 1,
      policies: [{ ...counter, fields: { device: { action: 'pseudonymize', type: 'identifier' }, at: { action: 'coarsen', type: 'point' } } }],
    }],
    ['k below 2', {
      expectedVersion: 1,
      policies: [{ ...counter, fields: { zone: { action: 'keep', type: 'string' } }, output: { mode: 'aggregate', zoneField: 'zone', k: 1 } }],
    }],
    ['an aggregate over a field it does not name', { expectedVersion: 1, policies: [{ ...counter, output: { mode: 'aggregate', zoneField: 'zone' } }] }],
  ])('refuses %s with a 400 problem and changes nothing', async (_name, body) => {
    const response = await put('op-token', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ status: 400 });
    expect(response.body).not.toMatch(/at \S+\.ts:\d+/);
    expect(service.currentPolicies().version).toBe(1);
  });

  it('refuses the change (503) when the audit log cannot be written', async () => {
    audit.available = false;
    const response = await put('op-token', { expectedVersion: 1, policies: [counter] });
    expect(response.statusCode).toBe(503);
    expect(service.currentPolicies().version).toBe(1);
  });

  it('reports per-filter counters to operators and auditors', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/sensors/stats', headers: { authorization: 'Bearer aud-token' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ connection: 'stopped', policyVersion: 1, openWindows: 0, topics: {} });
    expect((await app.inject({ method: 'GET', url: '/v1/sensors/stats', headers: { authorization: 'Bearer inv-token' } })).statusCode).toBe(403);
  });
});
