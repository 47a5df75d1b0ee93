import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, makeClip, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

const T0 = Date.UTC(2026, 2, 1, 10);
const iso = (ms: number) => new Date(ms).toISOString();

describe('access: MFA requirement, tampered originals in an export, OpenAPI', () => {
  let gw: TestGateway;
  const ids: string[] = [];
  beforeAll(async () => {
    gw = await openTestGateway({ auth: { requireMfaForApproval: true, requireMfaForExport: true } });
    const clip = makeClip(1);
    for (let n = 0; n < 3; n++) ids.push((await gw.security.vault.store({ segmentId: `seg-${n}`, cameraId: 'cam-1', startMs: T0 + n * 10_000, endMs: T0 + n * 10_000 + 9_999, container: 'mp4', data: clip })).originalId);
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  const request = async () => {
    const created = await gw.api.inject({
      method: 'POST', url: '/v1/access-requests', headers: bearer(await gw.token('ivy', ['investigator'])),
      payload: { cameras: ['cam-1'], from: iso(T0), to: iso(T0 + 30_000), caseNumber: 'C-9', purpose: 'hit and run, plate needed' },
    });
    return created.json<{ id: string }>().id;
  };

  it('approval and export need an MFA method in amr when configured', async () => {
    const id = await request();
    const noMfa = await gw.api.inject({ method: 'POST', url: `/v1/access-requests/${id}/approve`, headers: bearer(await gw.token('abe', ['approver'], { amr: ['pwd'] })), payload: {} });
    expect(noMfa.statusCode).toBe(403);
    expect(noMfa.json().code).toBe('PGW_ERR_MFA_REQUIRED');
    const withMfa = await gw.api.inject({ method: 'POST', url: `/v1/access-requests/${id}/approve`, headers: bearer(await gw.token('abe', ['approver'], { amr: ['pwd', 'otp'] })), payload: {} });
    expect(withMfa.statusCode).toBe(200);
    const exportNoMfa = await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/export`, headers: bearer(await gw.token('ivy', ['investigator'])) });
    expect(exportNoMfa.statusCode).toBe(403);
    expect(exportNoMfa.json().code).toBe('PGW_ERR_MFA_REQUIRED');
    const exportMfa = await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/export`, headers: bearer(await gw.token('ivy', ['investigator'], { amr: ['hwk'] })) });
    expect(exportMfa.statusCode).toBe(200);
  });

  it('B2: a tampered original stops the export before any of its plaintext, audited, and no manifest is issued', async () => {
    const id = await request();
    await gw.api.inject({ method: 'POST', url: `/v1/access-requests/${id}/approve`, headers: bearer(await gw.token('abe', ['approver'], { amr: ['mfa'] })), payload: {} });
    const victim = gw.security.vault.get(ids[1]!)!;
    const path = join(gw.dataDir, 'vault', victim.path);
    const file = readFileSync(path);
    file[100]! ^= 0x10;
    writeFileSync(path, file);
    const token = await gw.token('ivy', ['investigator'], { amr: ['mfa'] });
    const response = await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/export`, headers: bearer(token) }).catch((error: Error) => error);
    const failures = gw.security.audit.query({ action: 'vault.integrity_failure', limit: 10 }).records;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ actor: 'ivy', object: `original:${ids[1]}`, details: { caseNumber: 'C-9', requestId: id } });
    const exportId = gw.db.prepare('SELECT id FROM access_exports WHERE request_id = ?').pluck().get(id) as string;
    const manifest = await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/exports/${exportId}/manifest`, headers: bearer(token) });
    expect(manifest.statusCode).toBe(409);
    // The stream is aborted (the client sees a broken transfer, never a complete-looking export).
    expect(response).toBeInstanceOf(Error);
    expect((response as Error).message).toMatch(/destroyed before completion/);
  });

  it('OpenAPI at /docs documents the security routes', async () => {
    const spec = (await gw.api.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of ['/v1/access-requests', '/v1/access-requests/{id}/approve', '/v1/access-requests/{id}/export', '/v1/audit', '/v1/audit/verify', '/v1/keys/rotate']) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
  });
});
