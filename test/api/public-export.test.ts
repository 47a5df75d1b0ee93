import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runManifest } from '../../src/cli/manifest.js';
import { bearer, captureIo, makeClip, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

const LEFT_HALF: [number, number][] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];


describe('public-records export of redacted footage with a signed redaction log (G2)', () => {
  let gw: TestGateway;
  let operator: string;
  const recorded: string[] = [];

  beforeAll(async () => {
    gw = await openTestGateway({ pipeline: { offlineProfile: 'none' }, cameras: { devices: [{ id: 'bw1', kind: 'bodyworn', masks: [LEFT_HALF] }] } });
    operator = await gw.token('olga', ['operator']);
    // Three 2 s clips recorded an hour apart, uploaded now.
    for (const hoursAgo of [5, 4, 3]) {
      const at = new Date(gw.clock.now() - hoursAgo * 3_600_000).toISOString();
      recorded.push(at);
      const response = await gw.api.inject({ method: 'POST', url: `/v1/uploads?camera=bw1&recordedAt=${at}`, headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: makeClip(2) });
      expect(response.statusCode).toBe(202);
    }
    await gw.uploads.service.drain();
  });

  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  const exportOf = (from: string, to: string, token = operator) =>
    gw.api.inject({ method: 'GET', url: `/v1/public-exports?camera=bw1&from=${from}&to=${to}&reference=PRR-2026-0042`, headers: bearer(token) });

  it('exports the redacted segments inside the window, remuxed, with a manifest that verifies and names what was redacted', async () => {
    const response = await exportOf(recorded[0] ?? '', new Date(Date.parse(recorded[1] ?? '') + 10_000).toISOString());
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('video/mp2t');
    expect(response.headers['x-export-segments']).toBe('2');
    const body = response.rawPayload;
    const out = join(gw.dataDir, 'public.ts');
    writeFileSync(out, body);
    const packets = execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_packets', '-of', 'csv=p=0', out]).toString().trim();
    expect(packets.split('\n')[0]).toBe('h264,40');
    // One timeline: the second clip, recorded an hour after the first, starts an hour into the export.
    const duration = Number(execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out]).toString());
    expect(duration).toBeGreaterThan(3601);
    expect(duration).toBeLessThan(3603);
    const exportId = String(response.headers['x-export-id']);
    const manifest = (await gw.api.inject({ method: 'GET', url: `/v1/public-exports/${exportId}/manifest`, headers: bearer(await gw.token('aud', ['auditor'])) })).json();
    expect(manifest).toMatchObject({ type: 'privacy-gateway.public-export-manifest', reference: 'PRR-2026-0042', requester: 'olga', scope: { camera: 'bw1' } });
    expect(manifest.segments.map((s: { start: string }) => s.start)).toEqual(recorded.slice(0, 2));
    expect(manifest.segments[0]).toMatchObject({ frames: 20, failClosedFrames: 0, privacyMasks: 1, detector: { id: 'none' } });
    const spool = join(gw.dataDir, 'spool', 'bw1');
    for (const segment of manifest.segments) {
      const file = readdirSync(spool).find((name) => name === `${segment.segmentId}.mp4`) ?? '';
      expect(createHash('sha256').update(execFileSync('cat', [join(spool, file)])).digest('hex')).toBe(segment.sha256);
    }
    expect(manifest.export.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    writeFileSync(join(gw.dataDir, 'public-manifest.json'), JSON.stringify(manifest));
    const check = captureIo();
    expect(await runManifest(['verify', join(gw.dataDir, 'public-manifest.json'), out, '--public-key', join(gw.dataDir, 'keys', 'gateway-ed25519.pub.pem')], check.io)).toBe(0);
    const actions = gw.security.audit.query({ limit: 200 }).records.filter((r) => r.object === `public-export:${exportId}`).map((r) => `${r.action}:${String(r.details.reference)}`);
    expect(actions).toEqual(['public_export.start:PRR-2026-0042', 'public_export.complete:PRR-2026-0042', 'public_export.manifest_read:PRR-2026-0042']);
    // Only redacted media was read: no original left the vault.
    expect(gw.security.audit.query({ action: 'original.read', limit: 10 }).records).toEqual([]);
  });

  it('is for operators and admins only, and refuses windows longer than access.maxWindowHours', async () => {
    const from = recorded[0] ?? '';
    const to = recorded[2] ?? '';
    for (const role of ['investigator', 'approver', 'auditor'] as const) expect((await exportOf(from, to, await gw.token('x', [role]))).statusCode).toBe(403);
    const long = await exportOf(new Date(Date.parse(from) - 100 * 3_600_000).toISOString(), to);
    expect(long.statusCode).toBe(400);
    expect(long.json().detail).toBe('the window is longer than access.maxWindowHours (72 h)');
    const bad = await gw.api.inject({ method: 'GET', url: `/v1/public-exports?camera=bw1&from=${from}&to=${to}`, headers: bearer(operator) });
    expect(bad.statusCode).toBe(400);
  });

  it('stops when a segment changed since it was written, and completes no export', async () => {
    const spool = join(gw.dataDir, 'spool', 'bw1');
    const last = readdirSync(spool).filter((name) => name.endsWith('.mp4')).sort().at(-1) ?? '';
    appendFileSync(join(spool, last), Buffer.from('tampered'));
    const response = await exportOf(recorded[2] ?? '', new Date(Date.parse(recorded[2] ?? '') + 10_000).toISOString());
    expect(response.statusCode).toBe(409);
    expect(response.json().detail).toMatch(/^segment bw1-\S+ changed since it was written$/);
    const records = gw.security.audit.query({ limit: 200 }).records.filter((r) => r.action.startsWith('public_export.'));
    expect(records.slice(-2).map((r) => `${r.action}:${r.outcome}`)).toEqual(['public_export.start:success', 'public_export.fail:failure']);
  });

  it('cut short by a segment that changed after the stream began: the manifest request says why, and the failure is audited', async () => {
    // The last segment was changed by the test above; this window starts with an intact one, so bytes have left.
    const address = await gw.api.listen({ host: '127.0.0.1', port: 0 });
    const to = new Date(Date.parse(recorded[2] ?? '') + 10_000).toISOString();
    const response = await new Promise<{ status: number; headers: IncomingHttpHeaders; bytes: number; complete: boolean }>((resolve, reject) => {
      get(`${address}/v1/public-exports?camera=bw1&from=${recorded[1] ?? ''}&to=${to}&reference=PRR-2026-0042`, { headers: bearer(operator) }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, complete: res.complete }));
      }).on('error', reject);
    });
    expect(response).toMatchObject({ status: 200, complete: false });
    expect(response.headers['x-export-segments']).toBe('2');
    expect(response.bytes).toBeGreaterThan(0);
    const exportId = String(response.headers['x-export-id']);
    const manifest = await gw.api.inject({ method: 'GET', url: `/v1/public-exports/${exportId}/manifest`, headers: bearer(operator) });
    expect(manifest.statusCode).toBe(409);
    expect(manifest.json().detail).toMatch(new RegExp(`^public export ${exportId} failed \\(segment bw1-\\S+ changed since it was written\\); the stream it sent is incomplete and has no manifest$`));
    const records = gw.security.audit.query({ limit: 200 }).records.filter((r) => r.object === `public-export:${exportId}`);
    expect(records.map((r) => `${r.action}:${r.outcome}`)).toEqual(['public_export.start:success', 'public_export.fail:failure']);
    expect(records[1]?.details).toMatchObject({ reference: 'PRR-2026-0042', reason: expect.stringMatching(/changed since it was written/) as unknown });
  });
});
