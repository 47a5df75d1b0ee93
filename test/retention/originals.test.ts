import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/shared/types.js';
import { decrypts, openVaultStack, type VaultStack } from './fixtures/vault-sweep.js';
import { tempDataDir } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 1, 6);

const opened: VaultStack[] = [];
afterEach(() => {
  for (const stack of opened.splice(0)) stack.close();
});

async function openStack(): Promise<VaultStack> {
  const stack = await openVaultStack(tempDataDir(), T0);
  opened.push(stack);
  return stack;
}

describe('originals per camera kind (C1, B4)', () => {
  it('body-worn originals follow their own default (720 h), fixed ones 72 h, both crypto-shredded', async () => {
    const stack = await openStack();
    const store = (cameraId: string) => stack.security.vault.store({ segmentId: `${cameraId}-1`, cameraId, startMs: T0, endMs: T0 + 10_000, container: 'mp4', data: Buffer.from(cameraId) });
    const bodyWorn = (await store('bw-12')).originalId;
    const fixed = (await store('cam-a')).originalId;
    const { sweeper } = stack.retention;
    const manual = stack.clock;
    manual.advance(72 * H + 1000);
    expect(await sweeper.sweep()).toMatchObject({ deleted: 1 });
    expect([await decrypts(stack, fixed), await decrypts(stack, bodyWorn)]).toEqual([false, true]);
    manual.advance(720 * H - 72 * H - 2000);
    expect(await sweeper.sweep()).toMatchObject({ deleted: 0 });
    expect(await decrypts(stack, bodyWorn)).toBe(true);
    manual.advance(2000);
    expect(await sweeper.sweep()).toMatchObject({ deleted: 1, deletedByClass: { original: 1 } });
    expect(await decrypts(stack, bodyWorn)).toBe(false);
    const deletions = stack.security.audit.query({ action: 'retention.delete', limit: 10 }).records;
    expect(deletions.map((record) => [record.object, record.details.rule])).toEqual([
      [`original:${fixed}`, 'default:original'],
      [`original:${bodyWorn}`, 'default:original:body_worn'],
    ]);
  });
});

describe('expiry carried upstream', () => {
  it('gives forwarded objects the expiry the local policy would apply, and flags held ones', async () => {
    const { retention } = await openStack();
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
