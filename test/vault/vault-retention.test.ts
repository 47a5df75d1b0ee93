import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 10);

describe('B4: originals are crypto-shredded by the retention sweep at expiry, not a second earlier', () => {
  let gw: TestGateway;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    gw = await openTestGateway();
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  it('works one second before the 72 h default, is gone (key destroyed, file removed, audited once) after it; held originals survive', async () => {
    gw.clock.setWall(T0 + 10_000);
    for (const camera of ['cam-1', 'cam-held']) {
      ids[camera] = (await gw.security.vault.store({ segmentId: `${camera}-s0`, cameraId: camera, startMs: T0, endMs: T0 + 9_999, container: 'mp4', data: Buffer.from(`original of ${camera}`) })).originalId;
    }
    gw.retention.service.placeHold({ subject: 'abe', roles: ['approver'], authMethods: [], scopes: [] }, { cameraIds: ['cam-held'], fromMs: T0 - HOUR, toMs: T0 + HOUR, caseNumber: 'C-1', reason: 'court order 12' });

    gw.clock.advance(T0 + 72 * HOUR - 1000 - gw.clock.now());
    await gw.retention.sweeper.sweep();
    expect((await gw.security.vault.open(ids['cam-1']!, { actor: 'test' })).toString()).toBe('original of cam-1');

    gw.clock.advance(2000);
    await gw.retention.sweeper.sweep();
    const shredded = gw.security.vault.get(ids['cam-1']!)!;
    expect(shredded.wrappedDek).toBeNull();
    expect(existsSync(join(gw.dataDir, 'vault', shredded.path))).toBe(false);
    await expect(gw.security.vault.open(ids['cam-1']!, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_KEY_DESTROYED' });
    expect((await gw.security.vault.open(ids['cam-held']!, { actor: 'test' })).toString()).toBe('original of cam-held');

    await gw.retention.sweeper.sweep();
    expect(gw.security.audit.query({ action: 'vault.shred', limit: 10 }).records.map((r) => r.object)).toEqual([`original:${ids['cam-1']}`]);
    expect(gw.security.audit.query({ action: 'retention.delete', limit: 10 }).records).toHaveLength(1);
    expect(gw.security.audit.verify().ok).toBe(true);
  });
});
