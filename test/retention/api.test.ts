import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { loadConfig } from '../../src/config/load.js';
import { createRetention, type RetentionModule } from '../../src/retention/retention-module.js';
import { SpoolRetentionSource } from '../../src/retention/spool-source.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { auditRefusals, SqliteAuditLog, tempDataDir, testAuthenticator, writeSpoolSegment } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 8);
const JUSTIFICATION = 'Evidence protocol pilot approved by council decision 2026/14';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const OPERATOR = auth('operator:olga');
const APPROVER = auth('approver:anna');

let dir: string;
let db: CatalogDatabase;
let audit: SqliteAuditLog;
let clock: ManualClock;
let retention: RetentionModule;
let app: FastifyInstance;

beforeEach(async () => {
  dir = tempDataDir();
  db = openCatalog(join(dir, 'catalog.db'));
  audit = new SqliteAuditLog(join(dir, 'audit.db'));
  clock = new ManualClock(T0);
  retention = createRetention({ db, config: loadConfig({ env: {} }).retention, sources: [new SpoolRetentionSource({ root: join(dir, 'spool') })], audit, clock, logger: silentLogger() });
  app = await buildServer(
    { logger: silentLogger(), authenticator: testAuthenticator, onAccessDenied: auditRefusals(audit), health: { live: () => true, notReady: () => [] }, retention: retention.service, holds: retention.service },
    { version: 'test' },
  );
});

afterEach(async () => {
  await app.close();
  await retention.sweeper.stop();
  db.close();
  audit.close();
});

const holdBody = { cameraIds: ['cam-a'], from: new Date(T0 - H).toISOString(), to: new Date(T0 + H).toISOString(), caseNumber: 'CASE-2026-001', reason: 'hit and run inquiry' };

describe('retention rules API', () => {
  it('versions every accepted change and audits it', async () => {
    const put = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [{ id: 'redacted-7d', dataClass: 'redacted', maxAgeHours: 168 }], baseVersion: 0, comment: 'shorter spool' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ version: 1, changedBy: 'olga', rules: [{ id: 'redacted-7d', maxAgeHours: 168 }], defaultsHours: { original: 72, originalBodyWorn: 720 } });
    const second = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [{ id: 'long', dataClass: 'original', maxAgeHours: 120, justification: JUSTIFICATION }] } });
    expect(second.json()).toMatchObject({ version: 2 });
    expect((await app.inject({ url: '/v1/retention/rules', headers: OPERATOR })).json()).toMatchObject({ version: 2, rules: [{ id: 'long' }] });
    expect((await app.inject({ url: '/v1/retention/rules?version=1', headers: auth('auditor:ali') })).json()).toMatchObject({ version: 1, rules: [{ id: 'redacted-7d' }] });
    expect(audit.events('retention.rules.update').map((event) => [event.actor, event.object, event.details?.added, event.details?.removed])).toEqual([
      ['olga', 'retention-rules:v1', ['redacted-7d'], []],
      ['olga', 'retention-rules:v2', ['long'], ['redacted-7d']],
    ]);
  });

  it.each([
    ['fixed originals over 72 h without justification', [{ id: 'r', dataClass: 'original', maxAgeHours: 96 }], '/rules/0/justification'],
    ['above the city-wide ceiling', [{ id: 'r', dataClass: 'original', maxAgeHours: 5000, cameraKind: 'body_worn' }], '/rules/0/maxAgeHours'],
  ])('rejects %s with a 422 problem and changes nothing', async (_name, rules, path) => {
    const response = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules } });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 422, code: 'PGW_ERR_RETENTION_RULES_INVALID', errors: [{ path }] });
    expect(retention.service.ruleSet().version).toBe(0);
    expect(audit.events('retention.rules.update')).toEqual([]);
  });

  it('answers bad input with problems, never 5xx', async () => {
    const unknownField = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [{ id: 'r', dataClass: 'redacted', maxAgeHours: 1, forever: true }] } });
    expect(unknownField.statusCode).toBe(400);
    const badClass = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [{ id: 'r', dataClass: 'audit', maxAgeHours: 1 }] } });
    expect(badClass.statusCode).toBe(400);
    await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [] } });
    const stale = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [], baseVersion: 0 } });
    expect(stale.json()).toMatchObject({ status: 409, code: 'PGW_ERR_CONFLICT' });
    expect((await app.inject({ url: '/v1/retention/rules?version=99', headers: OPERATOR })).statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/retention/preview?until=yesterday', headers: OPERATOR })).statusCode).toBe(400);
  });

  it('refuses and audits rule changes by other roles', async () => {
    const response = await app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: APPROVER, payload: { rules: [] } });
    expect(response.statusCode).toBe(403);
    expect(audit.events('api.forbidden')).toMatchObject([{ actor: 'anna', outcome: 'denied', object: 'route:PUT /v1/retention/rules', details: { needed: ['operator'] } }]);
    expect(audit.events('retention.rules.update')).toEqual([]);
    expect((await app.inject({ method: 'PUT', url: '/v1/retention/rules', payload: { rules: [] } })).statusCode).toBe(401);
    expect(retention.service.ruleSet().version).toBe(0);
  });
});

describe('legal holds API (C2)', () => {
  it.each([['operator:olga'], ['investigator:ivan'], ['admin:adam']])('refuses placement by %s and audits the attempt', async (token) => {
    const response = await app.inject({ method: 'POST', url: '/v1/holds', headers: auth(token), payload: holdBody });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PGW_ERR_FORBIDDEN' });
    expect(audit.events('api.forbidden')).toMatchObject([{ actor: token.split(':')[1], outcome: 'denied', object: 'route:POST /v1/holds' }]);
    expect(audit.events('hold.place')).toEqual([]);
    expect(retention.service.listHolds()).toEqual([]);
  });

  it('lets approvers place, list and lift holds, each change audited', async () => {
    const placed = await app.inject({ method: 'POST', url: '/v1/holds', headers: APPROVER, payload: { ...holdBody, expiresAt: new Date(T0 + 1000 * H).toISOString() } });
    expect(placed.statusCode).toBe(201);
    const hold = placed.json();
    expect(hold).toMatchObject({ cameraIds: ['cam-a'], caseNumber: 'CASE-2026-001', placedBy: 'anna', status: 'active' });
    expect(hold.id).toMatch(/^hold_[0-9a-f]{32}$/);
    expect((await app.inject({ url: '/v1/holds', headers: APPROVER })).json().holds).toHaveLength(1);
    expect((await app.inject({ url: '/v1/holds', headers: OPERATOR })).statusCode).toBe(403);
    const liftByOperator = await app.inject({ method: 'DELETE', url: `/v1/holds/${hold.id}`, headers: OPERATOR, payload: { reason: 'done' } });
    expect(liftByOperator.statusCode).toBe(403);
    const lifted = await app.inject({ method: 'DELETE', url: `/v1/holds/${hold.id}`, headers: auth('approver:bert'), payload: { reason: 'case closed' } });
    expect(lifted.json()).toMatchObject({ status: 'lifted', liftedBy: 'bert', liftReason: 'case closed' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/holds/${hold.id}`, headers: APPROVER, payload: { reason: 'again' } })).statusCode).toBe(409);
    expect(audit.events('hold.place')).toMatchObject([{ actor: 'anna', outcome: 'success', details: { caseNumber: 'CASE-2026-001', reason: 'hit and run inquiry' } }]);
    expect(audit.events('hold.lift').map((event) => [event.actor, event.outcome])).toEqual([['bert', 'success']]);
    expect(audit.events('api.forbidden').map((event) => [event.actor, event.object])).toEqual([
      ['olga', 'route:GET /v1/holds'],
      ['olga', 'route:DELETE /v1/holds/:id'],
    ]);
  });

  it('rejects invalid holds with problems', async () => {
    const inverted = await app.inject({ method: 'POST', url: '/v1/holds', headers: APPROVER, payload: { ...holdBody, from: holdBody.to, to: holdBody.from } });
    expect(inverted.json()).toMatchObject({ status: 422, code: 'PGW_ERR_HOLD_INVALID', errors: [{ path: '/to' }] });
    expect((await app.inject({ method: 'POST', url: '/v1/holds', headers: APPROVER, payload: { ...holdBody, cameraIds: [] } })).statusCode).toBe(400);
    expect((await app.inject({ url: '/v1/holds/not-a-hold', headers: APPROVER })).statusCode).toBe(400);
    expect((await app.inject({ url: `/v1/holds/hold_${'0'.repeat(32)}`, headers: APPROVER })).statusCode).toBe(404);
  });

  it('answers 503 for holds, rule changes and deletion when the audit log cannot be written (F4)', async () => {
    const placed = (await app.inject({ method: 'POST', url: '/v1/holds', headers: APPROVER, payload: holdBody })).json();
    writeSpoolSegment(join(dir, 'spool'), 'cam-b', 'old', T0 - 1000 * H);
    audit.unavailable = true;
    const attempts = await Promise.all([
      app.inject({ method: 'POST', url: '/v1/holds', headers: APPROVER, payload: holdBody }),
      app.inject({ method: 'DELETE', url: `/v1/holds/${placed.id}`, headers: APPROVER, payload: { reason: 'x' } }),
      app.inject({ method: 'PUT', url: '/v1/retention/rules', headers: OPERATOR, payload: { rules: [] } }),
      app.inject({ method: 'POST', url: '/v1/retention/sweep', headers: OPERATOR }),
      app.inject({ method: 'POST', url: '/v1/holds', headers: OPERATOR, payload: holdBody }),
    ]);
    for (const response of attempts) expect(response.json()).toMatchObject({ status: 503, code: 'PGW_ERR_AUDIT_UNAVAILABLE' });
    expect(retention.service.listHolds().map((hold) => hold.status)).toEqual(['active']);
    expect(retention.service.ruleSet().version).toBe(0);
    expect(existsSync(join(dir, 'spool', 'cam-b'))).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/v1/retention/sweep', headers: OPERATOR })).statusCode).toBe(503);
  });
});

describe('preview API (C4)', () => {
  it('lists what the sweep at `until` deletes and which hold protects what; the sweep then deletes exactly that', async () => {
    const spool = join(dir, 'spool');
    for (const [camera, hour] of [['cam-a', 0], ['cam-b', 1], ['cam-a', 2], ['cam-c', 30]] as const) writeSpoolSegment(spool, camera, `s${hour}`, T0 + hour * H);
    const hold = (await app.inject({ method: 'POST', url: '/v1/holds', headers: APPROVER, payload: holdBody })).json();
    const until = new Date(T0 + 722 * H + 10_001).toISOString();
    const response = await app.inject({ url: `/v1/retention/preview?until=${until}`, headers: auth('auditor:ali') });
    expect(response.statusCode).toBe(200);
    const preview = response.json();
    expect(preview).toMatchObject({ until, rulesVersion: 0, truncated: false, due: { count: 4 }, held: { count: 2 } });
    expect(preview.held.items.map((item: { id: string; holdIds: string[] }) => [item.id, item.holdIds])).toEqual([
      ['cam-a/2026-03-01/s0.json', [hold.id]],
      ['cam-a/2026-03-01/s0.mp4', [hold.id]],
    ]);
    expect(preview.due.items[0]).toMatchObject({ dataClass: 'metadata', cameraId: 'cam-b', rule: 'default:metadata', maxAgeHours: 720, recordedAt: new Date(T0 + H).toISOString() });
    const limited = (await app.inject({ url: `/v1/retention/preview?until=${until}&limit=1`, headers: OPERATOR })).json();
    expect(limited).toMatchObject({ truncated: true, due: { count: 4 } });
    expect(limited.due.items).toHaveLength(1);

    clock.advance(Date.parse(until) - T0);
    const sweep = await app.inject({ method: 'POST', url: '/v1/retention/sweep', headers: OPERATOR });
    expect(sweep.json()).toMatchObject({ deleted: 4, held: 2, failed: 0, at: until });
    const deleted = audit.events('retention.delete').map((event) => event.object.split(':')[1]);
    expect(deleted).toEqual(preview.due.items.map((item: { id: string }) => item.id));
    expect((await app.inject({ url: `/v1/retention/preview?until=${until}`, headers: OPERATOR })).json().due.count).toBe(0);
  });
});
