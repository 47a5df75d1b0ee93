import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { openTestStack, removeDir, tempDir } from '../access/security-fixtures.js';

describe('key providers', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach(removeDir));

  it('creates keys on first start as owner-only files and refuses a key file others can read', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const stack = await openTestStack(dir);
    stack.close();
    const keysDir = join(dir, 'keys');
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
    const secrets = readdirSync(keysDir).filter((name) => !name.endsWith('.pub.pem'));
    expect(secrets.some((name) => name.startsWith('kek-'))).toBe(true);
    expect(secrets).toEqual(expect.arrayContaining(['gateway-ed25519.pem', 'token-ed25519.pem']));
    for (const name of secrets) expect(statSync(join(keysDir, name)).mode & 0o077).toBe(0);
    chmodSync(join(keysDir, 'gateway-ed25519.pem'), 0o644);
    await expect(openTestStack(dir)).rejects.toMatchObject({ code: 'PGW_ERR_KEY_UNAVAILABLE' });
  });

  it('environment KEKs: a new PGW_VAULT_KEK with the old one in PGW_VAULT_KEK_PREVIOUS re-wraps every data key at start', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock();
    const first = randomBytes(32).toString('base64');
    const second = randomBytes(32).toString('base64');
    process.env.PGW_VAULT_KEK = first;
    try {
      const stack = await openTestStack(dir, clock, { vault: { kekSource: 'env' } });
      const data = randomBytes(5000);
      const { originalId } = await stack.security.vault.store({ segmentId: 's', cameraId: 'c', startMs: 0, endMs: 1, container: 'mp4', data });
      const oldKek = stack.security.vault.keyStatus().activeKek;
      stack.close();
      process.env.PGW_VAULT_KEK = second;
      process.env.PGW_VAULT_KEK_PREVIOUS = first;
      const rotated = await openTestStack(dir, clock, { vault: { kekSource: 'env' } });
      const status = rotated.security.vault.keyStatus();
      expect(status.activeKek).not.toBe(oldKek);
      expect(status.originalsByKek).toEqual({ [status.activeKek]: 1 });
      rotated.close();
      delete process.env.PGW_VAULT_KEK_PREVIOUS;
      const later = await openTestStack(dir, clock, { vault: { kekSource: 'env' } });
      expect((await later.security.vault.open(originalId, { actor: 'test' })).equals(data)).toBe(true);
      later.close();
    } finally {
      delete process.env.PGW_VAULT_KEK;
      delete process.env.PGW_VAULT_KEK_PREVIOUS;
    }
  });
});
