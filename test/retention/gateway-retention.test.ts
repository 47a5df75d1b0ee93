import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLocalToken } from '../../src/api/local-token.js';
import { composeApi, holdPortOf, type Components } from '../../src/app.js';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { configSchema } from '../../src/config/schema.js';
import { segmentIdOf, segmentStartOf } from '../../src/shared/segments.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Role } from '../../src/shared/types.js';
import { tempDataDir } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 12);

let db: CatalogDatabase;
let clock: ManualClock;
let gateway: Components;
let config: ReturnType<typeof configSchema.parse>;

async function bearer(subject: string, role: Role): Promise<Record<string, string>> {
  const { privateKey, keyId } = gateway.security.tokenKey;
  const token = await issueLocalToken(privateKey, keyId, { subject, roles: [role], ttlSec: 600, issuer: config.auth.issuer, audience: config.auth.audience, nowSec: Math.floor(clock.now() / 1000) });
  return { authorization: `Bearer ${token}` };
}

function auditRecords(action: string) {
  return gateway.security.audit.query({ action, limit: 100 }).records;
}

async function storeOriginal(cameraId: string, startMs: number): Promise<string> {
  const { originalId } = await gateway.security.vault.store({ segmentId: `${cameraId}-${startMs}`, cameraId, startMs, endMs: startMs + 10_000, container: 'mp4', data: Buffer.from(`pixels of ${cameraId}`) });
  return originalId;
}

async function sweep(): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const response = await gateway.api.inject({ method: 'POST', url: '/v1/retention/sweep', headers: await bearer('olga', 'operator') });
  return { statusCode: response.statusCode, body: response.json() };
}

beforeEach(async () => {
  const dataDir = tempDataDir();
  config = configSchema.parse({ dataDir });
  clock = new ManualClock(T0);
  db = openCatalog(join(dataDir, 'catalog.db'));
  gateway = await composeApi(config, silentLogger(), clock, db);
});

afterEach(async () => {
  await gateway.api.close();
  await gateway.retention.sweeper.stop();
  gateway.security.stop();
  db.close();
});

describe('retention in the composed gateway (real vault, audit log and JWTs)', () => {
  it('crypto-shreds a fixed-camera original at 72 h: decryptable 1 s before, key gone 1 s after (B4)', async () => {
    const originalId = await storeOriginal('cam-a', T0);
    clock.advance(72 * H - 1000);
    expect((await sweep()).body).toMatchObject({ deleted: 0 });
    expect((await gateway.security.vault.open(originalId, { actor: 'test' })).toString()).toBe('pixels of cam-a');
    clock.advance(2000);
    expect((await sweep()).body).toMatchObject({ deleted: 1, deletedByClass: { original: 1 } });
    expect(gateway.security.vault.get(originalId)?.wrappedDek).toBeNull();
    await expect(gateway.security.vault.open(originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_KEY_DESTROYED' });
    expect(auditRecords('retention.delete')).toMatchObject([{ object: `original:${originalId}`, actor: 'system:retention', details: { method: 'crypto-shred', rule: 'default:original' } }]);
    expect(auditRecords('vault.shred')).toHaveLength(1);
    expect(gateway.security.audit.verify().ok).toBe(true);
  });

  it('only approvers place holds (refusals audited); held originals survive until the hold is lifted (C2)', async () => {
    const originalId = await storeOriginal('cam-a', T0);
    const body = { cameraIds: ['cam-a'], from: new Date(T0).toISOString(), to: new Date(T0 + H).toISOString(), caseNumber: 'CASE-77', reason: 'assault inquiry' };
    const refused = await gateway.api.inject({ method: 'POST', url: '/v1/holds', headers: await bearer('olga', 'operator'), payload: body });
    expect(refused.statusCode).toBe(403);
    expect(auditRecords('api.forbidden')).toMatchObject([{ actor: 'olga', role: 'operator', object: 'route:POST /v1/holds', outcome: 'denied' }]);
    expect(auditRecords('hold.place')).toEqual([]);
    const placed = await gateway.api.inject({ method: 'POST', url: '/v1/holds', headers: await bearer('anna', 'approver'), payload: body });
    expect(placed.statusCode).toBe(201);
    clock.advance(100 * H);
    const preview = await gateway.api.inject({ url: `/v1/retention/preview?until=${new Date(clock.now()).toISOString()}`, headers: await bearer('anna', 'approver') });
    expect(preview.json()).toMatchObject({ due: { count: 0 }, held: { count: 1, items: [{ id: originalId, holdIds: [placed.json().id] }] } });
    expect((await sweep()).body).toMatchObject({ deleted: 0, held: 1 });
    expect((await gateway.security.vault.open(originalId, { actor: 'test' })).toString()).toBe('pixels of cam-a');
    const lifted = await gateway.api.inject({ method: 'DELETE', url: `/v1/holds/${placed.json().id}`, headers: await bearer('bert', 'approver'), payload: { reason: 'case closed' } });
    expect(lifted.statusCode).toBe(200);
    expect((await sweep()).body).toMatchObject({ deleted: 1, held: 0 });
    await expect(gateway.security.vault.open(originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_KEY_DESTROYED' });
  });

  it('keeps a held body-worn upload in the uplink spool by its recording time, not the time it was spooled (H3)', async () => {
    const incident = T0 - 72 * H;
    const body = { cameraIds: ['bw1'], from: new Date(incident).toISOString(), to: new Date(incident + H).toISOString(), caseNumber: 'CASE-12', reason: 'use of force review' };
    expect((await gateway.api.inject({ method: 'POST', url: '/v1/holds', headers: await bearer('anna', 'approver'), payload: body })).statusCode).toBe(201);
    const holds = holdPortOf(gateway.retention);
    const spooled = (recordedAt: number, camera = 'bw1') =>
      ({ path: '/spool/x.mp4', key: `${segmentIdOf(camera, recordedAt)}-a1b2c3d4:0f0f`, kind: 'segment', group: camera, createdAt: T0 }) as const;
    expect(segmentStartOf(spooled(incident + 600_000).key)).toBe(incident + 600_000);
    // Docked and spooled three days after the incident it recorded.
    expect(holds.isHeld(spooled(incident + 600_000))).toBe(true);
    expect(holds.isHeld(spooled(incident + 600_000, 'bw2'))).toBe(false);
    expect(holds.isHeld(spooled(T0 - 24 * H))).toBe(false);
  });

  it('refuses holds, rule changes and deletion with 503 while the audit log cannot be written (F4)', async () => {
    const originalId = await storeOriginal('cam-a', T0);
    clock.advance(100 * H);
    const [approver, operator] = [await bearer('anna', 'approver'), await bearer('olga', 'operator')];
    db.exec("CREATE TRIGGER audit_disk_full BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    const hold = await gateway.api.inject({ method: 'POST', url: '/v1/holds', headers: approver, payload: { cameraIds: ['cam-a'], from: new Date(T0).toISOString(), to: new Date(T0 + H).toISOString(), caseNumber: 'C-1', reason: 'r' } });
    const rules = await gateway.api.inject({ method: 'PUT', url: '/v1/retention/rules', headers: operator, payload: { rules: [] } });
    const deletion = await gateway.api.inject({ method: 'POST', url: '/v1/retention/sweep', headers: operator });
    for (const response of [hold, rules, deletion]) expect(response.json()).toMatchObject({ status: 503, code: 'PGW_ERR_AUDIT_UNAVAILABLE' });
    expect(gateway.retention.service.listHolds()).toEqual([]);
    expect(gateway.retention.service.ruleSet().version).toBe(0);
    db.exec('DROP TRIGGER audit_disk_full');
    expect((await gateway.security.vault.open(originalId, { actor: 'test' })).toString()).toBe('pixels of cam-a');
    expect((await sweep()).body).toMatchObject({ deleted: 1, resumed: 1 });
    expect(auditRecords('retention.delete')).toHaveLength(1);
  });
});
