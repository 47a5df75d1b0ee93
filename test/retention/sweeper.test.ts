import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { loadConfig } from '../../src/config/load.js';
import { CatalogTableRetentionSource } from '../../src/retention/catalog-table-source.js';
import { createRetention } from '../../src/retention/retention-module.js';
import { SpoolRetentionSource } from '../../src/retention/spool-source.js';
import type { RetainedItem, RetentionSource } from '../../src/retention/types.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Principal } from '../../src/shared/types.js';
import { SqliteAuditLog, tempDataDir, writeSpoolSegment } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 8);
const REDACTED_TTL = 720 * H;
const approver: Principal = { subject: 'approver-1', roles: ['approver'], authMethods: ['pwd'], scopes: [] };

interface Harness {
  dir: string;
  spool: string;
  db: CatalogDatabase;
  audit: SqliteAuditLog;
  clock: ManualClock;
  retention: ReturnType<typeof createRetention>;
}

const open: Harness[] = [];

function setup(extraSources: (db: CatalogDatabase, dir: string) => RetentionSource[] = () => []): Harness {
  const dir = tempDataDir();
  const spool = join(dir, 'spool');
  const db = openCatalog(join(dir, 'catalog.db'));
  const audit = new SqliteAuditLog(join(dir, 'audit.db'));
  const clock = new ManualClock(T0);
  const sources = [new SpoolRetentionSource({ root: spool }), ...extraSources(db, dir)];
  const retention = createRetention({ db, config: loadConfig({ env: {} }).retention, sources, audit, clock, logger: silentLogger() });
  const harness = { dir, spool, db, audit, clock, retention };
  open.push(harness);
  return harness;
}

afterEach(async () => {
  for (const harness of open.splice(0)) {
    await harness.retention.sweeper.stop();
    harness.db.close();
    harness.audit.close();
  }
});

describe('sweeper with an injected clock', () => {
  it('keeps a segment at TTL − 1 s and deletes it at TTL + 1 s, with one audit record and a summary per sweep', async () => {
    const h = setup();
    const { segment, sidecar } = writeSpoolSegment(h.spool, 'cam-a', 'seg-1', T0);
    h.clock.advance(REDACTED_TTL - 1000);
    const before = await h.retention.sweeper.sweep();
    expect(before.deleted).toBe(0);
    expect(existsSync(segment)).toBe(true);
    h.clock.advance(2000);
    const after = await h.retention.sweeper.sweep();
    expect(after.deleted).toBe(2);
    expect(after.deletedByClass).toEqual({ redacted: 1, metadata: 1 });
    expect(existsSync(segment)).toBe(false);
    expect(existsSync(sidecar)).toBe(false);
    const deletions = h.audit.events('retention.delete');
    expect(deletions.map((event) => event.object).sort()).toEqual([`metadata:cam-a/2026-03-01/seg-1.json`, `redacted:cam-a/2026-03-01/seg-1.mp4`]);
    const redacted = deletions.find((event) => event.object.startsWith('redacted:'))!;
    expect(redacted).toMatchObject({
      actor: 'system:retention',
      outcome: 'success',
      details: { dataClass: 'redacted', cameraId: 'cam-a', recordedAt: new Date(T0).toISOString(), rule: 'default:redacted', method: 'delete' },
    });
    expect(redacted.details?.reason).toMatch(/maximum age/);
    expect(h.audit.events('retention.sweep')).toHaveLength(2);
    const journalled = () => h.db.prepare('SELECT COUNT(*) FROM retention_deletions').pluck().get();
    expect(journalled()).toBe(2);
    h.clock.advance(169 * H);
    await h.retention.sweeper.sweep();
    expect(journalled()).toBe(0);
    expect(h.audit.events('retention.delete')).toHaveLength(2);
  });

  it('deletes nothing early when the wall clock jumps forward; the monotonic estimate decides', async () => {
    const h = setup();
    const { segment } = writeSpoolSegment(h.spool, 'cam-a', 'seg-1', T0);
    h.clock.setWall(T0 + 365 * 24 * H);
    const jumped = await h.retention.sweeper.sweep();
    expect(jumped).toMatchObject({ deleted: 0, clockClamped: true, at: T0 });
    expect(existsSync(segment)).toBe(true);
    expect(h.audit.events('retention.sweep').at(-1)?.details).toMatchObject({ clockClamped: true });
    h.clock.advance(REDACTED_TTL - 1000);
    expect((await h.retention.sweeper.sweep()).deleted).toBe(0);
    h.clock.advance(2000);
    expect((await h.retention.sweeper.sweep()).deleted).toBe(2);
  });

  it('a backward jump only delays deletion', async () => {
    const h = setup();
    const { segment } = writeSpoolSegment(h.spool, 'cam-a', 'seg-1', T0);
    h.clock.advance(REDACTED_TTL + 1000);
    h.clock.setWall(T0);
    expect((await h.retention.sweeper.sweep()).deleted).toBe(0);
    expect(existsSync(segment)).toBe(true);
    h.clock.setWall(T0 + REDACTED_TTL + 1000);
    expect((await h.retention.sweeper.sweep()).deleted).toBe(2);
  });

  it('held data survives; after the hold is lifted the next sweep deletes it (C2)', async () => {
    const h = setup();
    const held = writeSpoolSegment(h.spool, 'cam-a', 'held', T0);
    const free = writeSpoolSegment(h.spool, 'cam-b', 'free', T0);
    const hold = h.retention.service.placeHold(approver, { cameraIds: ['cam-a'], fromMs: T0 - H, toMs: T0 + H, caseNumber: 'CASE-7', reason: 'collision inquiry' });
    h.clock.advance(REDACTED_TTL * 3);
    const first = await h.retention.sweeper.sweep();
    expect(first).toMatchObject({ deleted: 2, held: 2 });
    expect(existsSync(held.segment)).toBe(true);
    expect(existsSync(free.segment)).toBe(false);
    h.retention.service.liftHold(approver, hold.id, 'case closed');
    expect((await h.retention.sweeper.sweep()).deleted).toBe(2);
    expect(existsSync(held.segment)).toBe(false);
    expect(h.audit.events('hold.place')).toHaveLength(1);
    expect(h.audit.events('hold.lift')[0]).toMatchObject({ actor: 'approver-1', object: `hold:${hold.id}`, details: { caseNumber: 'CASE-7', reason: 'case closed' } });
  });

  it('refuses to delete while the audit log cannot be written, and finishes later with one record per item (F4)', async () => {
    const h = setup();
    const { segment } = writeSpoolSegment(h.spool, 'cam-a', 'seg-1', T0);
    h.clock.advance(REDACTED_TTL + 60_000);
    h.audit.unavailable = true;
    await expect(h.retention.sweeper.sweep()).rejects.toMatchObject({ code: 'PGW_ERR_AUDIT_UNAVAILABLE' });
    expect(existsSync(segment)).toBe(true);
    expect(() => h.retention.service.placeHold(approver, { cameraIds: ['cam-a'], fromMs: T0, toMs: T0 + H, caseNumber: 'C', reason: 'r' })).toThrow(/audit/);
    expect(h.retention.service.listHolds()).toEqual([]);
    h.audit.unavailable = false;
    const summary = await h.retention.sweeper.sweep();
    expect(summary).toMatchObject({ deleted: 2, resumed: 2 });
    expect(existsSync(segment)).toBe(false);
    expect(h.audit.events('retention.delete')).toHaveLength(2);
  });

  it('retries an erase that failed, without a second audit record', async () => {
    let failures = 1;
    const item: RetainedItem = { id: 'x-1', dataClass: 'export', cameraId: 'cam-a', recordedAt: T0 };
    let present = true;
    const flaky: RetentionSource = {
      name: 'flaky',
      dataClasses: ['export'],
      list: async () => (present ? [item] : []),
      erase: async () => {
        if (failures-- > 0) throw new Error('device busy');
        present = false;
      },
    };
    const h = setup(() => [flaky]);
    h.clock.advance(721 * H);
    expect(await h.retention.sweeper.sweep()).toMatchObject({ deleted: 0, failed: 1 });
    expect(await h.retention.sweeper.sweep()).toMatchObject({ deleted: 1, failed: 0, resumed: 1 });
    expect(present).toBe(false);
    expect(h.audit.events('retention.delete')).toHaveLength(1);
  });

  it('erases catalog rows with their files; a crash between row and file is finished by the rerun', async () => {
    const h = setup((db, dir) => {
      db.exec('CREATE TABLE test_exports (id TEXT PRIMARY KEY, camera_id TEXT, recorded_at INTEGER NOT NULL, path TEXT)');
      mkdirSync(join(dir, 'exports'), { recursive: true });
      return [new CatalogTableRetentionSource(db, { name: 'exports', dataClass: 'export', table: 'test_exports', idColumn: 'id', recordedAtColumn: 'recorded_at', cameraColumn: 'camera_id', fileColumn: 'path' })];
    });
    const insert = h.db.prepare('INSERT INTO test_exports VALUES (?, ?, ?, ?)');
    for (const id of ['e1', 'e2']) {
      const path = join(h.dir, 'exports', `${id}.zip`);
      writeFileSync(path, 'zip');
      insert.run(id, 'cam-a', T0, path);
    }
    const source = new CatalogTableRetentionSource(h.db, { name: 'exports', dataClass: 'export', table: 'test_exports', idColumn: 'id', recordedAtColumn: 'recorded_at', fileColumn: 'path' });
    const [e1] = await source.list('export', T0 + 1);
    h.db.prepare("DELETE FROM test_exports WHERE id = 'e1'").run();
    await source.erase(e1!);
    expect(existsSync(join(h.dir, 'exports', 'e1.zip'))).toBe(false);
    h.clock.advance(721 * H);
    expect(await h.retention.sweeper.sweep()).toMatchObject({ deleted: 1, deletedByClass: { export: 1 } });
    expect(h.db.prepare('SELECT COUNT(*) FROM test_exports').pluck().get()).toBe(0);
    expect(existsSync(join(h.dir, 'exports', 'e2.zip'))).toBe(false);
  });

  it('sweeps at startup and then every interval', async () => {
    const h = setup();
    const fast = createRetention({
      db: h.db,
      config: { ...loadConfig({ env: {} }).retention, sweepIntervalMs: 1000 },
      sources: [new SpoolRetentionSource({ root: h.spool })],
      audit: h.audit,
      clock: h.clock,
      logger: silentLogger(),
    });
    writeSpoolSegment(h.spool, 'cam-a', 'seg-1', T0 - REDACTED_TTL - 1000);
    fast.sweeper.start();
    await expect.poll(() => h.audit.events('retention.delete').length, { timeout: 2000, interval: 20 }).toBe(2);
    await expect.poll(() => h.audit.events('retention.sweep').length, { timeout: 3000, interval: 50 }).toBeGreaterThanOrEqual(2);
    await fast.sweeper.stop();
  });
});

describe('preview (C4)', () => {
  it('lists exactly what the sweep at that instant deletes, and what each hold protects', async () => {
    const h = setup();
    for (let i = 0; i < 6; i += 1) writeSpoolSegment(h.spool, i % 2 === 0 ? 'cam-a' : 'cam-b', `seg-${i}`, T0 + i * H);
    const hold = h.retention.service.placeHold(approver, { cameraIds: ['cam-b'], fromMs: T0, toMs: T0 + 3 * H, caseNumber: 'CASE-9', reason: 'inquiry' });
    h.retention.service.replaceRules({ ...approver, subject: 'operator-1', roles: ['operator'] }, { rules: [{ id: 'cam-a-short', dataClass: 'redacted', maxAgeHours: 24, cameraIds: ['cam-a'] }] });
    const until = T0 + 26 * H + 1;
    const preview = await h.retention.service.preview(until);
    expect(preview.due.map((d) => d.item.id)).toEqual(['cam-a/2026-03-01/seg-0.mp4', 'cam-a/2026-03-01/seg-2.mp4']);
    expect(preview.held).toEqual([]);
    const later = await h.retention.service.preview(T0 + 800 * H);
    expect(later.held.map((d) => [d.item.id, d.holdIds])).toEqual([
      ['cam-b/2026-03-01/seg-1.json', [hold.id]],
      ['cam-b/2026-03-01/seg-1.mp4', [hold.id]],
    ]);
    h.clock.advance(until - T0);
    const summary = await h.retention.sweeper.sweep();
    const deleted = h.audit.events('retention.delete').map((event) => event.object.replace(/^redacted:/, ''));
    expect(deleted).toEqual(preview.due.map((d) => d.item.id));
    expect(summary.held).toBe(preview.held.length);
  });
});
