import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, base64url, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, openTestGateway, removeDir, tempDir, type TestGateway } from '../access/security-fixtures.js';

const ISS = 'https://idp.city.example';
const AUD = 'privacy-gateway';

describe('E1/E3: bearer JWT validation', () => {
  let gw: TestGateway;
  let jwksDir: string;
  let idpKey: CryptoKey;
  let idpPublicPem: string;
  let attackerKey: CryptoKey;
  let attackerJwk: Record<string, unknown>;
  const nowSec = () => Math.floor(gw.clock.now() / 1000);

  beforeAll(async () => {
    jwksDir = tempDir();
    const idp = await generateKeyPair('RS256', { extractable: true });
    idpKey = idp.privateKey;
    idpPublicPem = await exportSPKI(idp.publicKey);
    writeFileSync(join(jwksDir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }] }));
    const attacker = await generateKeyPair('RS256', { extractable: true });
    attackerKey = attacker.privateKey;
    attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'idp-1' };
    gw = await openTestGateway({ auth: { issuer: ISS, audience: AUD, jwksFile: join(jwksDir, 'jwks.json'), failureLimit: 1000, localIssuer: false } });
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
    removeDir(jwksDir);
  });

  const idpToken = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: CryptoKey | Uint8Array = idpKey, alg = 'RS256') => {
    const payload = { roles: ['approver'], sub: 'abe', iss: ISS, aud: AUD, iat: nowSec(), exp: nowSec() + 600, ...claims };
    return new SignJWT(payload).setProtectedHeader({ alg, kid: 'idp-1', ...header }).sign(key);
  };
  const call = (token: string, ip = '10.0.0.1') => gw.api.inject({ method: 'GET', url: '/v1/access-requests', headers: bearer(token), remoteAddress: ip });

  it('accepts a valid token from the configured identity provider', async () => {
    const response = await call(await idpToken());
    expect(response.statusCode).toBe(200);
  });

  it.each<[string, () => Promise<string>]>([
    ['alg none', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify({ sub: 'abe', roles: ['approver'], iss: ISS, aud: AUD, exp: nowSec() + 600 }));
      return `${header}.${payload}.`;
    }],
    ['HS256 signed with the RSA public key (algorithm confusion)', async () => idpToken({}, {}, new TextEncoder().encode(idpPublicPem), 'HS256')],
    ['expired', async () => idpToken({ exp: nowSec() - 3600 })],
    ['not yet valid', async () => idpToken({ nbf: nowSec() + 3600 })],
    ['wrong issuer', async () => idpToken({ iss: 'https://evil.example' })],
    ['wrong audience', async () => idpToken({ aud: 'another-service' })],
    ['signed by an unknown key with the same kid', async () => idpToken({}, {}, attackerKey)],
    ['jku header pointing at an attacker key set', async () => idpToken({}, { jku: 'https://evil.example/jwks.json' }, attackerKey)],
    ['x5u header', async () => idpToken({}, { x5u: 'https://evil.example/cert.pem' })],
    ['embedded jwk header', async () => idpToken({}, { jwk: attackerJwk }, attackerKey)],
    ['no exp claim', async () => new SignJWT({ roles: ['approver'] }).setProtectedHeader({ alg: 'RS256', kid: 'idp-1' }).setSubject('abe').setIssuer(ISS).setAudience(AUD).sign(idpKey)],
    ['tampered payload', async () => {
      const [h, , s] = (await idpToken()).split('.');
      return `${h}.${base64url.encode(JSON.stringify({ sub: 'abe', roles: ['admin'], iss: ISS, aud: AUD, exp: nowSec() + 600 }))}.${s}`;
    }],
  ])('E1: rejects %s with 401 and audits it', async (name, make) => {
    const before = gw.security.audit.query({ action: 'auth.failure', limit: 500 }).records.length;
    const response = await call(await make());
    expect(response.statusCode, name).toBe(401);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 401, code: 'PGW_ERR_UNAUTHORIZED' });
    const failures = gw.security.audit.query({ action: 'auth.failure', limit: 500 }).records;
    expect(failures.length).toBe(before + 1);
    expect(failures.at(-1)).toMatchObject({ actor: 'anonymous', outcome: 'failure', object: 'client:10.0.0.1' });
  });

  it('E1: a missing or malformed Authorization header is 401', async () => {
    expect((await gw.api.inject({ method: 'GET', url: '/v1/access-requests' })).statusCode).toBe(401);
    expect((await gw.api.inject({ method: 'GET', url: '/v1/access-requests', headers: { authorization: 'Basic YWJlOnB3' } })).statusCode).toBe(401);
  });
});

describe('E3: failed authentications are rate limited per client and audited', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await openTestGateway({ auth: { failureLimit: 3, failureWindowSec: 60 } });
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  it('answers 429 after the limit, also to a valid token from that client, until the window passes', async () => {
    const good = await gw.token('ivy', ['investigator']);
    const call = (token: string, ip: string) => gw.api.inject({ method: 'GET', url: '/v1/access-requests', headers: bearer(token), remoteAddress: ip });
    for (let n = 0; n < 3; n++) expect((await call('a.b.c', '10.1.1.1')).statusCode).toBe(401);
    const limited = await call('a.b.c', '10.1.1.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'PGW_ERR_RATE_LIMITED' });
    expect((await call(good, '10.1.1.1')).statusCode).toBe(429);
    expect((await call(good, '10.2.2.2')).statusCode).toBe(200);
    expect(gw.security.audit.query({ action: 'auth.failure', limit: 100 }).records).toHaveLength(3);
    expect(gw.security.audit.query({ action: 'auth.rate_limited', limit: 100 }).records).toMatchObject([{ object: 'client:10.1.1.1', outcome: 'denied' }]);
    gw.clock.advance(60_000);
    expect((await call(await gw.token('ivy', ['investigator']), '10.1.1.1')).statusCode).toBe(200);
  });
});

describe('E1: keys from a JWKS URL', () => {
  it('verifies tokens against a key set fetched from the configured URL, and refuses a non-HTTPS remote URL', async () => {
    const { createServer } = await import('node:http');
    const idp = await generateKeyPair('ES256', { extractable: true });
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'es-1', alg: 'ES256' }] });
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const gw = await openTestGateway({ auth: { issuer: ISS, audience: AUD, jwksUrl: `http://127.0.0.1:${port}/jwks.json`, localIssuer: false } });
    try {
      const now = Math.floor(gw.clock.now() / 1000);
      const token = await new SignJWT({ roles: ['auditor'], sub: 'aud', iss: ISS, aud: AUD, iat: now, exp: now + 600 }).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).sign(idp.privateKey);
      const response = await gw.api.inject({ method: 'GET', url: '/v1/audit', headers: bearer(token) });
      expect(response.statusCode).toBe(200);
      expect(fetches).toBeGreaterThanOrEqual(1);
    } finally {
      await gw.close();
      removeDir(gw.dataDir);
      server.close();
    }
    await expect(openTestGateway({ auth: { jwksUrl: 'http://idp.example/jwks.json' } })).rejects.toMatchObject({ code: 'PGW_ERR_CONFIG_INVALID' });
  });
});
