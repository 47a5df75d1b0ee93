import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedHead } from '../../src/audit/audit-record.js';
import { bearer, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

describe('audit API: filtered reads (themselves audited) and verification', () => {
  let gw: TestGateway;
  let auditor: string;
  beforeAll(async () => {
    gw = await openTestGateway();
    auditor = await gw.token('aud', ['auditor']);
    for (let n = 0; n < 7; n++) gw.security.audit.append({ actor: 'system:retention', action: 'retention.delete', object: `segment:s${n}`, outcome: 'success', details: { rule: 'originals-72h' } });
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  it('F1: GET /v1/audit filters and pages, and every read is itself an audit record', async () => {
    const first = await gw.api.inject({ method: 'GET', url: '/v1/audit?action=retention.delete&limit=3', headers: bearer(auditor) });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.records.map((r: { object: string }) => r.object)).toEqual(['segment:s0', 'segment:s1', 'segment:s2']);
    const page2 = (await gw.api.inject({ method: 'GET', url: `/v1/audit?action=retention.delete&limit=3&after=${page1.next}`, headers: bearer(auditor) })).json();
    expect(page2.records.map((r: { object: string }) => r.object)).toEqual(['segment:s3', 'segment:s4', 'segment:s5']);
    const reads = gw.security.audit.query({ action: 'audit.read', limit: 10 }).records;
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatchObject({ actor: 'aud', role: 'auditor', object: 'audit-log', outcome: 'success', details: { action: 'retention.delete', limit: 3 } });
    expect(reads[0]!.ts).toMatch(/Z$/);
  });

  it('F2: GET /v1/audit/verify reports a clean chain, then names the first bad record after tampering', async () => {
    const clean = await gw.api.inject({ method: 'GET', url: '/v1/audit/verify', headers: bearer(auditor) });
    expect(clean.json()).toMatchObject({ ok: true });
    gw.db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE object = 'segment:s4'").run();
    const seq = gw.db.prepare("SELECT seq FROM audit_log WHERE object = 'segment:s4'").pluck().get() as number;
    const tampered = (await gw.api.inject({ method: 'GET', url: '/v1/audit/verify', headers: bearer(auditor) })).json();
    expect(tampered).toMatchObject({ ok: false, firstBad: { seq } });
    expect(tampered.firstBad.reason).toMatch(/altered/);
    expect(gw.security.audit.query({ action: 'audit.verify', limit: 10 }).records.map((r) => r.outcome)).toEqual(['success', 'failure']);
  });
});

describe('F3: audit checkpoints go to the uplink outbox', () => {
  it('queues each signed checkpoint for central storage with a deterministic key', async () => {
    const gw = await openTestGateway({ audit: { checkpointEvery: 3 } });
    try {
      for (let n = 0; n < 7; n++) gw.security.audit.append({ actor: 'abe', action: 'access.approve', object: `access-request:${n}`, outcome: 'success' });
      const queued = gw.db.prepare("SELECT DISTINCT item_key AS key, body FROM outbox_items WHERE kind = 'audit_checkpoint' ORDER BY item_key").all() as { key: string; body: string }[];
      const stored = gw.security.audit.checkpoints();
      expect(stored.length).toBeGreaterThanOrEqual(2);
      expect(new Set(queued.map((item) => item.key))).toEqual(new Set(stored.map((cp) => `audit-checkpoint:${cp.seq}:${cp.headHash}`)));
      expect(gw.security.audit.verify(queued.map((item) => JSON.parse(item.body) as SignedHead)).ok).toBe(true);
    } finally {
      await gw.close();
      removeDir(gw.dataDir);
    }
  });
});
