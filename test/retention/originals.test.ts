import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { loadConfig } from '../../src/config/load.js';
import { createRetention } from '../../src/retention/retention-module.js';
import { VaultOriginalsSource, type LiveOriginal, type OriginalsRetentionPort } from '../../src/retention/vault-originals-source.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Principal } from '../../src/shared/types.js';
import { SqliteAuditLog, tempDataDir } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 1, 6);

function seal(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function unseal(key: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

/** Envelope encryption in miniature: a data key per original, wrapped by a key-encryption key. */
class EnvelopeVault implements OriginalsRetentionPort {
  private readonly kek = randomBytes(32);
  private readonly originals = new Map<string, LiveOriginal & { wrappedKey: Buffer | null; ciphertext: Buffer }>();
  readonly shredLog: string[] = [];

  store(original: LiveOriginal, plain: Buffer): void {
    const dek = randomBytes(32);
    this.originals.set(original.originalId, { ...original, wrappedKey: seal(this.kek, dek), ciphertext: seal(dek, plain) });
  }

  open(originalId: string): Buffer {
    const original = this.originals.get(originalId);
    if (!original?.wrappedKey) throw new Error(`data key of ${originalId} is destroyed`);
    return unseal(unseal(this.kek, original.wrappedKey), original.ciphertext);
  }

  liveOriginals(recordedBefore: number): LiveOriginal[] {
    return [...this.originals.values()].filter((original) => original.wrappedKey !== null && original.startMs < recordedBefore);
  }

  shred(originalId: string, by: { actor: string }): boolean {
    const original = this.originals.get(originalId);
    if (!original?.wrappedKey) return false;
    original.wrappedKey = null;
    this.shredLog.push(`${by.actor}:${originalId}`);
    return true;
  }
}

const opened: { db: CatalogDatabase; audit: SqliteAuditLog }[] = [];
afterEach(() => {
  for (const { db, audit } of opened.splice(0)) {
    audit.close();
    db.close();
  }
});

function setup() {
  const dir = tempDataDir();
  const db = openCatalog(join(dir, 'catalog.db'));
  const audit = new SqliteAuditLog(join(dir, 'audit.db'));
  opened.push({ db, audit });
  const clock = new ManualClock(T0);
  const vault = new EnvelopeVault();
  const source = new VaultOriginalsSource(vault, (camera) => (camera.startsWith('bw-') ? 'body_worn' : 'fixed'));
  const retention = createRetention({ db, config: loadConfig({ env: {} }).retention, sources: [source], audit, clock, logger: silentLogger() });
  return { vault, clock, retention, audit };
}

describe('originals are crypto-shredded at expiry (B4, C1)', () => {
  it('a fixed-camera original decrypts at 72 h − 1 s and not after 72 h + 1 s', async () => {
    const { vault, clock, retention, audit } = setup();
    vault.store({ originalId: 'o1', cameraId: 'cam-a', startMs: T0, endMs: T0 + 10_000 }, Buffer.from('original pixels'));
    clock.advance(72 * H - 1000);
    await retention.sweeper.sweep();
    expect(vault.open('o1').toString()).toBe('original pixels');
    clock.advance(2000);
    expect(await retention.sweeper.sweep()).toMatchObject({ deleted: 1, deletedByClass: { original: 1 } });
    expect(() => vault.open('o1')).toThrow(/destroyed/);
    expect(vault.shredLog).toEqual(['system:retention:o1']);
    expect(audit.events('retention.delete')).toMatchObject([{ object: 'original:o1', details: { method: 'crypto-shred', rule: 'default:original', cameraId: 'cam-a' } }]);
  });

  it('body-worn originals follow their own default', async () => {
    const { vault, clock, retention } = setup();
    vault.store({ originalId: 'bw', cameraId: 'bw-12', startMs: T0, endMs: T0 + 10_000 }, Buffer.from('body cam'));
    clock.advance(720 * H - 1000);
    expect((await retention.sweeper.sweep()).deleted).toBe(0);
    expect(vault.open('bw').toString()).toBe('body cam');
    clock.advance(2000);
    expect((await retention.sweeper.sweep()).deleted).toBe(1);
    expect(() => vault.open('bw')).toThrow(/destroyed/);
  });
});

describe('expiry carried upstream', () => {
  it('gives forwarded objects the expiry the local policy would apply, and flags held ones', () => {
    const { retention } = setup();
    const operator: Principal = { subject: 'op', roles: ['operator'], authMethods: [], scopes: [] };
    const approver: Principal = { subject: 'ap', roles: ['approver'], authMethods: [], scopes: [] };
    retention.service.replaceRules(operator, { rules: [{ id: 'cam-a-redacted-10d', dataClass: 'redacted', maxAgeHours: 240, cameraIds: ['cam-a'] }] });
    const segment = { id: 'seg', dataClass: 'redacted' as const, cameraId: 'cam-a', recordedAt: T0 };
    expect(retention.service.forwardingExpiry(segment)).toEqual({ expiresAt: T0 + 240 * H, legalHold: false });
    expect(retention.service.forwardingExpiry({ ...segment, cameraId: 'cam-b' })).toEqual({ expiresAt: T0 + 720 * H, legalHold: false });
    retention.service.placeHold(approver, { cameraIds: ['cam-a'], fromMs: T0 - H, toMs: T0 + H, caseNumber: 'C-3', reason: 'inquiry' });
    expect(retention.service.forwardingExpiry(segment)).toEqual({ expiresAt: T0 + 240 * H, legalHold: true });
  });
});
