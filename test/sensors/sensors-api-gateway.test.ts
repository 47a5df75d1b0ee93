import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

/** The sensor routes on the real composition: JWT auth, role guards and the hash-chained audit log. */
describe('sensor policy API on the composed gateway', () => {
  let gateway: TestGateway;

  beforeEach(async () => {
    gateway = await openTestGateway({ sensors: { enabled: true, policyDir: 'config/policies' } });
  });
  afterEach(async () => {
    await gateway.close();
    removeDir(gateway.dataDir);
  });

  it('F1/D4: a policy change is written to the audit log with actor and versions; other roles are refused and audited', async () => {
    const operator = await gateway.token('olivia', ['operator']);
    const investigator = await gateway.token('ivan', ['investigator']);
    const current = await gateway.api.inject({ method: 'GET', url: '/v1/sensors/policies', headers: bearer(operator) });
    expect(current.statusCode).toBe(200);
    const { version, policies } = current.json<{ version: number; policies: Array<{ id: string }> }>();
    const kept = policies.filter((policy) => policy.id !== 'service-request-311');

    const denied = await gateway.api.inject({ method: 'PUT', url: '/v1/sensors/policies', headers: bearer(investigator), payload: { expectedVersion: version, policies: kept } });
    expect(denied.statusCode).toBe(403);
    const changed = await gateway.api.inject({ method: 'PUT', url: '/v1/sensors/policies', headers: bearer(operator), payload: { expectedVersion: version, policies: kept } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ version: version + 1, updatedBy: 'olivia' });

    const audit = gateway.security.audit;
    const [record] = audit.query({ action: 'sensors.policies.update', limit: 10 }).records;
    expect(record).toMatchObject({ actor: 'olivia', object: `sensor-policies:v${version + 1}`, outcome: 'success' });
    expect(audit.query({ action: 'api.forbidden', actor: 'ivan', limit: 10 }).records).toHaveLength(1);
    expect(audit.verify().ok).toBe(true);
  });
});
