import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SweepStep } from '../../src/retention/sweeper.js';
import { decrypts, openVaultStack, type VaultStack } from './fixtures/vault-sweep.js';
import { tempDataDir } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 12);
const NOW = T0 + 73 * H;
const CHILD = join(import.meta.dirname, 'fixtures', 'vault-sweep-child.ts');

async function seedOriginals(dataDir: string): Promise<{ expired: string[]; fresh: string }> {
  const stack = await openVaultStack(dataDir, T0);
  try {
    const expired: string[] = [];
    for (const camera of ['cam-a', 'cam-b', 'cam-c']) {
      const stored = await stack.security.vault.store({ segmentId: `${camera}-1`, cameraId: camera, startMs: T0, endMs: T0 + 10_000, container: 'mp4', data: Buffer.from(`original of ${camera}`) });
      expired.push(stored.originalId);
    }
    const fresh = await stack.security.vault.store({ segmentId: 'cam-a-2', cameraId: 'cam-a', startMs: T0 + 10 * H, endMs: T0 + 10 * H + 10_000, container: 'mp4', data: Buffer.from('fresh') });
    return { expired, fresh: fresh.originalId };
  } finally {
    stack.close();
  }
}

function killAt(dataDir: string, step: SweepStep, count: number): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(NOW), step, String(count)], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve(signal));
  });
}

function records(stack: VaultStack, action: string): string[] {
  return stack.security.audit.query({ action, limit: 1000 }).records.map((record) => record.object).sort();
}

describe.concurrent('crash-safe crypto-shred sweep with the real vault and hash-chained audit log (C3, B4)', () => {
  it.each<[SweepStep, number]>([
    ['audit-appended', 1],
    ['item-erased', 2],
    ['erased', 2],
    ['summary-appended', 1],
  ])('killed after %s #%i: every original is live or shredded with its records; a rerun converges', async (step, count) => {
    const dataDir = tempDataDir();
    const { expired, fresh } = await seedOriginals(dataDir);
    expect(await killAt(dataDir, step, count)).toBe('SIGKILL');
    const stack = await openVaultStack(dataDir, NOW);
    try {
      const deleted = new Set(records(stack, 'retention.delete'));
      const shredded = new Set(records(stack, 'vault.shred'));
      for (const id of expired) {
        if (!(await decrypts(stack, id))) {
          expect(deleted.has(`original:${id}`)).toBe(true);
          expect(shredded.has(`original:${id}`)).toBe(true);
        }
      }
      await stack.retention.sweeper.sweep();
      for (const id of expired) expect(await decrypts(stack, id)).toBe(false);
      expect(await decrypts(stack, fresh)).toBe(true);
      const expected = expired.map((id) => `original:${id}`).sort();
      expect(records(stack, 'retention.delete')).toEqual(expected);
      expect(records(stack, 'vault.shred')).toEqual(expected);
      expect(stack.security.audit.verify().ok).toBe(true);
    } finally {
      stack.close();
    }
  });
});
