import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/shared/types.js';
import { bearer, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

const SOME_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

interface GuardedOperation {
  method: string;
  url: string;
  allowed: Role[];
}

/** Every operation in the OpenAPI document that declares the roles its guard admits (`x-roles`). */
function guardedOperations(spec: { paths: Record<string, Record<string, { 'x-roles'?: Role[] }>> }): GuardedOperation[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, operation]) =>
      operation['x-roles'] ? [{ method: method.toUpperCase(), url: path.replace('{id}', SOME_ID).replace('{exportId}', '0'.repeat(32)), allowed: operation['x-roles'] }] : [],
    ),
  );
}

describe('D4 / E2: function-level authorization and input limits', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await openTestGateway();
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  it('D4: every admin/operator route (and every other role-bound route) answers 403 to all other roles, and each refusal is audited', async () => {
    const routes = guardedOperations((await gw.api.inject({ method: 'GET', url: '/docs/json' })).json());
    expect(routes.filter((route) => route.allowed.includes('admin') && route.allowed.length === 1).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/keys', 'POST /v1/keys/rotate']);
    expect(routes.length).toBeGreaterThanOrEqual(11);
    let refusals = 0;
    for (const [routeIndex, route] of routes.entries()) {
      for (const role of ROLES.filter((r) => !route.allowed.includes(r))) {
        const token = await gw.token(`user-${role}`, [role]);
        // one client address per route and role, so that per-route rate limits do not answer first
        const remoteAddress = `10.4.${routeIndex}.${ROLES.indexOf(role)}`;
        const response = await gw.api.inject({ method: route.method as 'GET' | 'POST', url: route.url, headers: bearer(token), remoteAddress, ...(route.method === 'POST' ? { payload: {} } : {}) });
        expect(response.statusCode, `${route.method} ${route.url} as ${role}`).toBe(403);
        expect(response.json()).toMatchObject({ code: 'PGW_ERR_FORBIDDEN', status: 403 });
        refusals++;
        const last = gw.security.audit.query({ action: 'api.forbidden', limit: 1000 }).records.at(-1);
        expect(last).toMatchObject({ actor: `user-${role}`, role, outcome: 'denied' });
        expect(last!.object).toContain(route.url.replace(SOME_ID, ':id').replace('0'.repeat(32), ':exportId'));
      }
    }
    expect(gw.security.audit.query({ action: 'api.forbidden', limit: 1000 }).records).toHaveLength(refusals);
    // and the declared roles are really admitted by the guard
    for (const [routeIndex, route] of routes.entries()) {
      for (const role of route.allowed) {
        const token = await gw.token(`user-${role}`, [role]);
        const remoteAddress = `10.6.${routeIndex}.${ROLES.indexOf(role)}`;
        const response = await gw.api.inject({ method: route.method as 'GET' | 'POST', url: route.url, headers: bearer(token), remoteAddress, ...(route.method === 'POST' ? { payload: {} } : {}) });
        expect(response.statusCode, `${route.method} ${route.url} as ${role}`).not.toBe(403);
        expect(response.statusCode).toBeLessThan(500);
      }
    }
    expect(refusals).toBeGreaterThan(30);
  });

  it('admins can rotate keys through the API', async () => {
    const admin = await gw.token('root', ['admin']);
    const before = (await gw.api.inject({ method: 'GET', url: '/v1/keys', headers: bearer(admin) })).json();
    const rotated = await gw.api.inject({ method: 'POST', url: '/v1/keys/rotate', headers: bearer(admin), remoteAddress: '10.5.0.1' });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().fromKeks).toEqual([before.activeKek]);
    expect((await gw.api.inject({ method: 'GET', url: '/v1/keys', headers: bearer(admin) })).json().activeKek).toBe(rotated.json().toKek);
  });

  describe('E2: bad input gets a 4xx RFC 9457 problem, never a 5xx or a stack trace', () => {
    const valid = { cameras: ['cam-1'], from: '2026-03-01T10:00:00Z', to: '2026-03-01T11:00:00Z', caseNumber: 'C-1', purpose: 'a sufficiently long purpose' };
    it.each<[string, Record<string, unknown> | string, number]>([
      ['unknown field', { ...valid, extra: true }, 400],
      ['missing field', { cameras: ['cam-1'], from: valid.from, to: valid.to, caseNumber: 'C-1' }, 400],
      ['over-long time window', { ...valid, to: '2026-03-08T10:00:00Z' }, 400],
      ['reversed time window', { ...valid, to: '2026-03-01T09:00:00Z' }, 400],
      ['bad camera id', { ...valid, cameras: ['../etc/passwd'] }, 400],
      ['too many cameras', { ...valid, cameras: Array.from({ length: 101 }, (_, n) => `cam-${n}`) }, 400],
      ['not a time', { ...valid, from: 'yesterday' }, 400],
      ['oversized body', { ...valid, purpose: 'x'.repeat(20_000) }, 413],
      ['not JSON', '{"cameras": [', 400],
    ])('%s', async (_name, payload, status) => {
      const response = await gw.api.inject({
        method: 'POST', url: '/v1/access-requests', headers: { ...bearer(await gw.token('ivy', ['investigator'])), 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      const problem = response.json();
      expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:privacy-gateway:error:/), title: expect.any(String) });
      expect(response.body).not.toMatch(/node_modules|\.ts:\d+|at [A-Za-z]+ \(/);
    });

    it('bad ids and query values are 400; unknown ids are 404', async () => {
      const approver = await gw.token('abe', ['approver']);
      for (const url of ['/v1/access-requests/short', '/v1/access-requests/..%2F..%2Fetc', `/v1/access-requests?limit=100000`, '/v1/access-requests?bogus=1']) {
        const response = await gw.api.inject({ method: 'GET', url, headers: bearer(approver) });
        expect(response.statusCode, url).toBe(400);
      }
      expect((await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${SOME_ID}`, headers: bearer(approver) })).statusCode).toBe(404);
      const auditor = await gw.token('aud', ['auditor']);
      expect((await gw.api.inject({ method: 'GET', url: '/v1/audit?limit=0', headers: bearer(auditor) })).statusCode).toBe(400);
    });

    it('bursts are answered 429', async () => {
      const approver = await gw.token('abe', ['approver']);
      const statuses: number[] = [];
      for (let n = 0; n < 32; n++) {
        statuses.push((await gw.api.inject({ method: 'POST', url: `/v1/access-requests/${SOME_ID}/deny`, headers: bearer(approver), payload: {}, remoteAddress: '10.9.9.9' })).statusCode);
      }
      expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    });

    it('security headers are set', async () => {
      const response = await gw.api.inject({ method: 'GET', url: '/v1/access-requests', headers: bearer(await gw.token('abe', ['approver'])) });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBeDefined();
    });
  });
});
