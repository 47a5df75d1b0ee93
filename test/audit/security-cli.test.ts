import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { UploadRecords } from '../../src/cameras/upload-records.js';
import { runAudit } from '../../src/cli/audit.js';
import { runKeys } from '../../src/cli/keys.js';
import { runToken } from '../../src/cli/token.js';
import { openCatalog } from '../../src/catalog/database.js';
import { bearer, openTestGateway, openTestStack, removeDir, tempDir } from '../access/security-fixtures.js';

function capture() {
  let out = '';
  let err = '';
  const io = {
    stdout: new Writable({ write(chunk, _e, done) { out += String(chunk); done(); } }),
    stderr: new Writable({ write(chunk, _e, done) { err += String(chunk); done(); } }),
  };
  return { io, out: () => out, err: () => err };
}

describe('security CLI commands', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach(removeDir));

  it('token: issues a JWT from the local key that the gateway accepts with the given role', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const out = capture();
    expect(await runToken(['--data-dir', dir, '--sub', 'ivy', '--role', 'investigator', '--ttl', '10m'], out.io)).toBe(0);
    const token = out.out().trim();
    const gw = await openTestGateway({}, dir, undefined);
    gw.clock.setWall(Date.now());
    const response = await gw.api.inject({ method: 'GET', url: '/v1/access-requests', headers: bearer(token) });
    expect(response.statusCode).toBe(200);
    const wrongRole = await gw.api.inject({ method: 'GET', url: '/v1/audit', headers: bearer(token) });
    expect(wrongRole.statusCode).toBe(403);
    await gw.close();
    expect(await runToken(['--data-dir', dir, '--sub', 'x', '--role', 'superuser'], capture().io).catch((e: Error) => e.message)).toMatch(/--role must be one of/);
    expect(await runToken(['--data-dir', dir, '--sub', 'x', '--role', 'admin', '--ttl', '30d'], capture().io).catch((e: Error) => e.message)).toMatch(/--ttl must be between/);
  });

  it('audit verify: exit 0 on an intact log; exit 1 naming the first bad record after an edit', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const stack = await openTestStack(dir);
    for (let n = 0; n < 5; n++) stack.security.audit.append({ actor: 'abe', action: 'access.approve', object: `access-request:${n}`, outcome: 'success' });
    stack.close();
    const ok = capture();
    expect(await runAudit(['verify', '--data-dir', dir], ok.io)).toBe(0);
    expect(JSON.parse(ok.out())).toMatchObject({ ok: true, headSeq: 5 });
    const db = openCatalog(join(dir, 'catalog.db'));
    db.prepare("UPDATE audit_log SET outcome = 'denied' WHERE seq = 3").run();
    db.close();
    const bad = capture();
    expect(await runAudit(['verify', '--data-dir', dir], bad.io)).toBe(1);
    expect(JSON.parse(bad.out())).toMatchObject({ ok: false, firstBad: { seq: 3 } });
    expect(bad.err()).toMatch(/first bad record 3/);
  });

  it('keys rotate: re-wraps every data key under a new KEK and retires the old one', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const stack = await openTestStack(dir);
    const data = Buffer.from('original bytes');
    const { originalId } = await stack.security.vault.store({ segmentId: 's1', cameraId: 'cam-1', startMs: 0, endMs: 999, container: 'mp4', data });
    const oldKek = stack.security.vault.keyStatus().activeKek;
    stack.close();
    const out = capture();
    expect(await runKeys(['rotate', '--data-dir', dir], out.io)).toBe(0);
    const result = JSON.parse(out.out());
    expect(result).toMatchObject({ fromKeks: [oldKek], rewrapped: 1 });
    const after = await openTestStack(dir);
    expect(after.security.vault.keyStatus()).toEqual({ activeKek: result.toKek, originalsByKek: { [result.toKek]: 1 } });
    expect((await after.security.vault.open(originalId, { actor: 'test' })).equals(data)).toBe(true);
    after.close();
  });

  it('keys rotate: re-seals the key of an upload waiting in the work directory before the old KEK goes', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const stack = await openTestStack(dir);
    const fileKey = Buffer.alloc(32, 7);
    const id = 'job_0123456789abcdef01234567';
    const records = UploadRecords.of(dir);
    mkdirSync(records.dir, { recursive: true });
    const sealedKey = await stack.security.vault.sealKey(fileKey, Buffer.from(id));
    records.write({ id, camera: 'bw1', bytes: 1, framesExpected: null, createdAt: 0, recorded: { startMs: 0, endMs: 1000, source: 'upload' }, sha256: 'x', sealedKey });
    stack.close();
    const out = capture();
    expect(await runKeys(['rotate', '--data-dir', dir], out.io)).toBe(0);
    const result = JSON.parse(out.out()) as { fromKeks: string[]; toKek: string };
    expect(result.fromKeks).toEqual([sealedKey.kekId]);
    const resealed = (await records.read(id))?.sealedKey;
    expect(resealed?.kekId).toBe(result.toKek);
    const after = await openTestStack(dir);
    expect(after.security.vault.keyStatus().activeKek).toBe(result.toKek);
    expect((await after.security.vault.unsealKey(resealed ?? sealedKey, Buffer.from(id))).equals(fileKey)).toBe(true);
    await expect(after.security.vault.unsealKey(sealedKey, Buffer.from(id))).rejects.toThrow();
    after.close();
  });

  it('keeps the old KEK when a sealed key could not be re-sealed, and finishes the rotation at the next start', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const stack = await openTestStack(dir);
    const oldKek = stack.security.vault.keyStatus().activeKek;
    const sealed = await stack.security.vault.sealKey(Buffer.alloc(32, 1), Buffer.from('aad'));
    let held = sealed;
    let failing = true;
    const holder = {
      resealUnder: async (active: string, reseal: (key: typeof sealed, aad: Buffer) => Promise<typeof sealed | null>) => {
        if (failing) throw new Error('disk full');
        if (held.kekId === active) return 0;
        held = (await reseal(held, Buffer.from('aad'))) ?? held;
        return 1;
      },
    };
    stack.security.vault.holdSealedKeys(holder);
    await expect(stack.security.vault.rotateKek({ actor: 'test' })).rejects.toThrow(/disk full/);
    expect(await stack.security.vault.unsealKey(sealed, Buffer.from('aad'))).toEqual(Buffer.alloc(32, 1));
    failing = false;
    const finished = await stack.security.vault.finishRotation();
    expect(finished.fromKeks).toEqual([oldKek]);
    expect(held.kekId).toBe(finished.toKek);
    await expect(stack.security.vault.unsealKey(sealed, Buffer.from('aad'))).rejects.toThrow();
    stack.close();
  });
});
