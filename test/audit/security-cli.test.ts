import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
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
});
