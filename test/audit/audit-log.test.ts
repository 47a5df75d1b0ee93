import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { verifyHead, type SignedHead } from '../../src/audit/audit-record.js';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { OutboxItem } from '../../src/shared/ports.js';
import { loadOrCreateSigningKey } from '../../src/vault/signing-key.js';
import { removeDir, tempDir } from '../access/security-fixtures.js';

describe('audit log: hash chain, verification and checkpoints', () => {
  let dir: string;
  let db: CatalogDatabase;
  let log: AuditLog;
  let outbox: OutboxItem[];
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12));

  const open = (path = join(dir, 'catalog.db'), checkpointEvery = 5) => {
    db = openCatalog(path);
    outbox = [];
    log = new AuditLog({
      db,
      clock,
      logger: silentLogger(),
      signingKey: loadOrCreateSigningKey(join(dir, 'keys'), 'gateway-ed25519'),
      anchorPath: join(dir, 'audit', 'head.json'),
      outbox: { enqueue: (item) => outbox.push(item) },
      checkpointEvery,
      checkpointIntervalMs: 3_600_000,
    });
  };
  const appendMany = (count: number) => {
    for (let n = 0; n < count; n++) {
      clock.advance(1000);
      log.append({ actor: `user-${n % 3}`, role: 'approver', action: n % 2 ? 'access.approve' : 'access.deny', object: `access-request:r${n}`, outcome: 'success', details: { caseNumber: `C-${n}`, n } });
    }
  };

  beforeEach(() => {
    dir = tempDir();
    open(join(dir, 'catalog.db'), 1000);
    appendMany(10);
  });
  afterEach(() => {
    if (db.open) db.close();
    removeDir(dir);
  });

  it('records UTC time and the event fields, and verifies clean', () => {
    const { records } = log.query({ limit: 3 });
    expect(records[0]).toMatchObject({ seq: 1, actor: 'user-0', role: 'approver', action: 'access.deny', object: 'access-request:r0', outcome: 'success', details: { caseNumber: 'C-0', n: 0 } });
    expect(records[0]!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(log.verify()).toMatchObject({ ok: true, records: 10, headSeq: 10 });
  });

  it('keeps one record per idempotency key (a rerun after a crash appends nothing), and the key is covered by the hash', () => {
    const event = { actor: 'system:retention', action: 'retention.delete', object: 'segment:s1', outcome: 'success' as const, idempotencyKey: 'retention.delete:s1:1700000000000' };
    const first = log.append(event);
    const again = log.append({ ...event, details: { rerun: true } });
    expect(again).toEqual(first);
    expect(log.query({ action: 'retention.delete', limit: 10 }).records).toHaveLength(1);
    expect(log.verify().ok).toBe(true);
    db.prepare('UPDATE audit_log SET idempotency_key = ? WHERE seq = ?').run('retention.delete:s2:1', first.seq);
    expect(log.verify().firstBad?.seq).toBe(first.seq);
  });

  it('filters and pages', () => {
    const first = log.query({ action: 'access.approve', limit: 2 });
    expect(first.records.map((r) => r.seq)).toEqual([2, 4]);
    const second = log.query({ action: 'access.approve', limit: 2, after: first.next! });
    expect(second.records.map((r) => r.seq)).toEqual([6, 8]);
    expect(log.query({ actor: 'user-1', limit: 100 }).records.every((r) => r.actor === 'user-1')).toBe(true);
  });

  // F2: every kind of tampering is detected and the first bad record named.
  it.each([
    ['modifying a field', 'UPDATE audit_log SET outcome = \'failure\' WHERE seq = 4', 4],
    ['modifying details', 'UPDATE audit_log SET details = \'{"caseNumber":"C-X","n":6}\' WHERE seq = 7', 7],
    ['deleting a record', 'DELETE FROM audit_log WHERE seq = 5', 5],
    ['deleting the first record', 'DELETE FROM audit_log WHERE seq = 1', 1],
    ['reordering two records', `UPDATE audit_log SET seq = CASE seq WHEN 3 THEN -6 WHEN 6 THEN -3 END WHERE seq IN (3, 6);
      UPDATE audit_log SET seq = -seq WHERE seq < 0`, 3],
    ['inserting a record in the middle', `UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 8; UPDATE audit_log SET seq = -seq WHERE seq < 0;
      INSERT INTO audit_log (seq, ts, actor, role, action, object, outcome, details, prev_hash, hash)
      SELECT 8, ts, 'mallory', role, action, object, outcome, details, hash, hash FROM audit_log WHERE seq = 7`, 8],
    ['appending a forged record', `INSERT INTO audit_log (seq, ts, actor, role, action, object, outcome, details, prev_hash, hash)
      SELECT 11, ts, 'mallory', role, action, object, outcome, details, hash, hash FROM audit_log WHERE seq = 10`, 11],
    ['truncating the tail', 'DELETE FROM audit_log WHERE seq > 8', 9],
  ])('F2: %s fails verification naming the first bad record', (_name, sql, firstBad) => {
    db.exec(sql);
    const result = log.verify();
    expect(result.ok).toBe(false);
    expect(result.firstBad?.seq).toBe(firstBad);
  });

  it('F3: signed checkpoints are handed to the outbox and verify with the gateway key', () => {
    db.close();
    removeDir(dir);
    dir = tempDir();
    open(join(dir, 'catalog.db'), 5);
    appendMany(12);
    const exported = outbox.filter((item) => item.kind === 'audit_checkpoint');
    expect(exported.map((item) => (item.body as unknown as SignedHead).seq)).toEqual([1, 6, 11]);
    const key = loadOrCreateSigningKey(join(dir, 'keys'), 'gateway-ed25519');
    for (const item of exported) {
      expect(verifyHead(key.publicKey, item.body as unknown as SignedHead)).toBe(true);
      expect(item.key).toMatch(/^audit-checkpoint:\d+:[0-9a-f]{64}$/);
    }
    const forged = { ...(exported[2]!.body as unknown as SignedHead), seq: 12 };
    expect(verifyHead(key.publicKey, forged)).toBe(false);
  });

  it('F3: rolling the catalog back behind the last exported checkpoint is detected', () => {
    const snapshot = join(dir, 'snapshot.db');
    db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(join(dir, 'catalog.db'), snapshot);
    appendMany(5);
    const exported = log.checkpoint()!;
    expect(exported.seq).toBe(15);
    db.close();
    // An attacker restores the old catalog (with its own consistent chain and checkpoints table).
    copyFileSync(snapshot, join(dir, 'catalog.db'));
    for (const suffix of ['-wal', '-shm']) if (existsSync(join(dir, `catalog.db${suffix}`))) rmSync(join(dir, `catalog.db${suffix}`));
    open(join(dir, 'catalog.db'), 1000);
    const withAnchor = log.verify();
    expect(withAnchor.ok).toBe(false);
    expect(withAnchor.firstBad?.seq).toBe(11);
    // Even with the anchor file also rolled back, the checkpoint exported off the box catches it.
    rmSync(join(dir, 'audit', 'head.json'));
    expect(log.verify().ok).toBe(true);
    const withExported = log.verify([exported]);
    expect(withExported.ok).toBe(false);
    expect(withExported.firstBad).toMatchObject({ seq: 11 });
    expect(withExported.firstBad?.reason).toMatch(/checkpoint covers record 15/);
  });

  it('F4: append throws PGW_ERR_AUDIT_UNAVAILABLE when the store cannot be written, and a change in the same transaction rolls back', () => {
    db.exec('CREATE TABLE retention_probe (id INTEGER PRIMARY KEY, note TEXT)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    let failure: unknown;
    for (let n = 0; n < 10_000 && failure === undefined; n++) {
      try {
        log.append({ actor: 'filler', action: 'test.fill', object: 'x', outcome: 'success', details: { pad: 'p'.repeat(2000) } });
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toMatchObject({ code: 'PGW_ERR_AUDIT_UNAVAILABLE', status: 503 });
    const deleteWithAudit = db.transaction(() => {
      db.prepare('INSERT INTO retention_probe (note) VALUES (?)').run('deleted something');
      log.append({ actor: 'system:retention', action: 'retention.delete', object: 'segment:1', outcome: 'success', details: { pad: 'p'.repeat(4000) } });
    });
    expect(() => deleteWithAudit()).toThrow(expect.objectContaining({ code: 'PGW_ERR_AUDIT_UNAVAILABLE' }));
    expect(db.prepare('SELECT COUNT(*) FROM retention_probe').pluck().get()).toBe(0);
  });
});
