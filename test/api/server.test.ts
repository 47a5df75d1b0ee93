import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { GatewayError } from '../../src/shared/errors.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Authenticator, Principal } from '../../src/shared/types.js';

const operator: Principal = { subject: 'olga', roles: ['operator'], authMethods: ['pwd'], scopes: [] };

const headerAuthenticator: Authenticator = {
  authenticate: async (authorization) => {
    if (authorization === 'Bearer operator') return operator;
    throw new GatewayError('PGW_ERR_UNAUTHORIZED', 'missing or invalid bearer token');
  },
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(): Promise<FastifyInstance> {
  app = await buildServer(
    { logger: silentLogger(), authenticator: headerAuthenticator, health: { live: () => true, notReady: () => ['catalog'] } },
    { version: 'test' },
  );
  app.get('/guarded', { preHandler: app.guards.requireRole('admin') }, async () => ({ ok: true }));
  app.get('/operator', { preHandler: app.guards.requireRole('operator') }, async () => ({ ok: true }));
  app.post('/echo', { preHandler: app.guards.requireRole('operator') }, async (request) => ({ body: request.body }));
  app.get('/boom', async () => {
    throw new Error('secret internal detail at /srv/app.ts:12');
  });
  return app;
}

describe('API server', () => {
  it('answers unknown routes with an RFC 9457 problem', async () => {
    const server = await build();
    const response = await server.inject({ method: 'GET', url: '/v1/nothing?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 404, code: 'PGW_ERR_NOT_FOUND', instance: '/v1/nothing' });
  });

  it('refuses a body that is not JSON with 415 and a problem saying what to send', async () => {
    const server = await build();
    const headers = { authorization: 'Bearer operator' };
    const text = await server.inject({ method: 'POST', url: '/echo', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(text.headers['content-type']).toContain('application/problem+json');
    expect(text.json()).toMatchObject({ status: 415, title: 'Unsupported media type', detail: 'send the request body as JSON (content-type: application/json)' });
    const json = await server.inject({ method: 'POST', url: '/echo', headers, payload: { a: 1 } });
    expect(json.json()).toEqual({ body: { a: 1 } });
  });

  it('hides internals of unexpected errors', async () => {
    const server = await build();
    const response = await server.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internal detail');
    expect(response.body).not.toMatch(/at .*\.ts/);
  });

  it('requires authentication, then the role', async () => {
    const server = await build();
    expect((await server.inject({ method: 'GET', url: '/guarded' })).statusCode).toBe(401);
    const forbidden = await server.inject({ method: 'GET', url: '/guarded', headers: { authorization: 'Bearer operator' } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'PGW_ERR_FORBIDDEN' });
    const allowed = await server.inject({ method: 'GET', url: '/operator', headers: { authorization: 'Bearer operator' } });
    expect(allowed.json()).toEqual({ ok: true });
  });

  it('sends security headers and reports readiness', async () => {
    const server = await build();
    const response = await server.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'starting', pending: ['catalog'] });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });
});
