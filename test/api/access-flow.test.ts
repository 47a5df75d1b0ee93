import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runManifest } from '../../src/cli/manifest.js';
import { bearer, captureIo, exhaustAuditStore, makeClip, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

const T0 = Date.UTC(2026, 2, 1, 10);
const iso = (ms: number) => new Date(ms).toISOString();
const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);


describe('unredacted access: request, four eyes, scoped grant, export with signed manifest', () => {
  let gw: TestGateway;
  const ingest: Record<string, { sha256: string; originalId: string }> = {};
  let investigator: string;
  let investigatorOtherToken: string;
  let approver: string;
  let auditor: string;

  beforeAll(async () => {
    gw = await openTestGateway();
    const clip = makeClip(1);
    for (const camera of ['cam-1', 'cam-2']) {
      for (let n = 0; n < 4; n++) {
        const segmentId = `${camera}-seg-${n}`;
        ingest[segmentId] = await gw.security.vault.store({ segmentId, cameraId: camera, startMs: T0 + n * 10_000, endMs: T0 + n * 10_000 + 9_999, container: 'mp4', data: clip });
      }
    }
    investigator = await gw.token('ivy', ['investigator']);
    investigatorOtherToken = await gw.token('ivy', ['investigator', 'approver'], { ttlSec: 600 });
    approver = await gw.token('abe', ['approver']);
    auditor = await gw.token('aud', ['auditor']);
  });
  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  const fileRequest = async (body: Record<string, unknown> = {}) => {
    const response = await gw.api.inject({
      method: 'POST', url: '/v1/access-requests', headers: bearer(investigator),
      payload: { cameras: ['cam-1'], from: iso(T0), to: iso(T0 + 30_000), caseNumber: 'CASE-2026-17', purpose: 'burglary investigation, suspect vehicle', ...body },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ id: string; status: string }>();
  };
  const approve = (id: string, token = approver, payload: Record<string, unknown> = {}) =>
    gw.api.inject({ method: 'POST', url: `/v1/access-requests/${id}/approve`, headers: bearer(token), payload });
  const exportOf = (id: string, query = '', token = investigator) => gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/export${query}`, headers: bearer(token) });

  it('D1: without an approved grant, no role can export originals', async () => {
    const { id } = await fileRequest();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const token of [investigator, approver, auditor, await gw.token('root', ['admin', 'operator'])]) {
      const response = await exportOf(id, '', token);
      expect([403, 404]).toContain(response.statusCode);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
    const denied = gw.security.audit.query({ action: 'access.export', outcome: 'denied', limit: 10 }).records;
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied[0]!.details).toMatchObject({ reason: 'request is pending', caseNumber: 'CASE-2026-17' });
  });

  it('D2: the requester cannot approve their own request, also through another token', async () => {
    const { id } = await fileRequest();
    const self = await approve(id, investigatorOtherToken);
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toMatch(/four eyes/);
    const caseVariant = await approve(id, await gw.token(' IVY', ['approver']));
    expect(caseVariant.statusCode).toBe(403);
    const refusals = gw.security.audit.query({ action: 'access.approve', outcome: 'denied', limit: 10 }).records;
    expect(refusals.filter((r) => r.object === `access-request:${id}`)).toHaveLength(2);
    expect((await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}`, headers: bearer(approver) })).json().status).toBe('pending');
  });

  it('G1/F1: the export streams exactly the granted originals remuxed, with a signed manifest of ingest hashes; one changed byte fails verification', async () => {
    const { id } = await fileRequest();
    const approved = await approve(id, approver, { grantHours: 2, reason: 'warrant 17 on file' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: 'abe' });
    const response = await exportOf(id);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('video/mp2t');
    const body = response.rawPayload;
    expect(body[0]).toBe(0x47);
    const exportId = String(response.headers['x-export-id']);
    const manifestResponse = await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/exports/${exportId}/manifest`, headers: bearer(investigator) });
    expect(manifestResponse.statusCode).toBe(200);
    const manifest = manifestResponse.json();
    // exactly cam-1, segments 0..2 (segment 3 ends after the window), nothing from cam-2
    expect(manifest.segments.map((s: { segmentId: string }) => s.segmentId)).toEqual(['cam-1-seg-0', 'cam-1-seg-1', 'cam-1-seg-2']);
    for (const segment of manifest.segments) expect(segment.sha256).toBe(ingest[segment.segmentId]!.sha256);
    expect(manifest.export.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(manifest).toMatchObject({ requester: 'ivy', approver: 'abe', request: { id, caseNumber: 'CASE-2026-17' } });
    // not re-encoded: the video stream is still the original H.264 with the same frame count (3 × 10 frames)
    const dir = gw.dataDir;
    writeFileSync(join(dir, 'export.ts'), body);
    const probe = execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_packets', '-of', 'csv=p=0', join(dir, 'export.ts')]).toString().trim();
    expect([...new Set(probe.split('\n').filter(Boolean))]).toEqual(['h264,30']);
    // One timeline: originals recorded 10 s apart start 10 s apart in the export (1 s clips: 21 s in all).
    const duration = Number(execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(dir, 'export.ts')]).toString());
    expect(duration).toBeGreaterThan(20.5);
    expect(duration).toBeLessThan(21.5);

    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const good = captureIo();
    expect(await runManifest(['verify', join(dir, 'manifest.json'), join(dir, 'export.ts'), '--public-key', join(dir, 'keys', 'gateway-ed25519.pub.pem')], good.io)).toBe(0);
    const flipped = Buffer.from(body);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    writeFileSync(join(dir, 'export-bad.ts'), flipped);
    const badExport = captureIo();
    expect(await runManifest(['verify', join(dir, 'manifest.json'), join(dir, 'export-bad.ts')], badExport.io)).toBe(1);
    expect(badExport.text()).toMatch(/export SHA-256/);
    const text = JSON.stringify(manifest);
    writeFileSync(join(dir, 'manifest-bad.json'), text.replace('CASE-2026-17', 'CASE-2026-18'));
    const badManifest = captureIo();
    expect(await runManifest(['verify', join(dir, 'manifest-bad.json'), join(dir, 'export.ts')], badManifest.io)).toBe(1);
    expect(badManifest.text()).toMatch(/signature does not verify/);

    // F1: every read of an original is audited with case number, purpose and approver
    const reads = gw.security.audit.query({ action: 'original.read', limit: 100 }).records.filter((r) => r.details.exportId === exportId);
    expect(reads).toHaveLength(3);
    for (const read of reads) {
      expect(read).toMatchObject({ actor: 'ivy', outcome: 'success', details: { caseNumber: 'CASE-2026-17', purpose: 'burglary investigation, suspect vehicle', approver: 'abe' } });
      expect(read.ts).toMatch(/Z$/);
    }
    const approval = gw.security.audit.query({ action: 'access.approve', outcome: 'success', limit: 100 }).records.find((r) => r.object === `access-request:${id}`);
    expect(approval).toMatchObject({ actor: 'abe', details: { caseNumber: 'CASE-2026-17', approver: 'abe' } });
  });

  it('exports uploaded originals in any container whole: an MP4 with its index last, an AVI without timestamps, one with masks', async () => {
    const dir = gw.dataDir;
    const indexLast = join(dir, 'index-last.mp4');
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', indexLast]);
    const avi = join(dir, 'bframes.avi');
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'mpeg4', '-bf', '2', avi]);
    const cases = [
      { camera: 'bw-mp4', data: readFileSync(indexLast), privacyMasks: [] },
      { camera: 'bw-avi', data: readFileSync(avi), privacyMasks: [] },
      { camera: 'bw-masked', data: readFileSync(indexLast), privacyMasks: [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as [number, number][]] },
    ];
    for (const { camera, data, privacyMasks } of cases) {
      await gw.security.vault.store({ segmentId: `${camera}-0`, cameraId: camera, startMs: T0, endMs: T0 + 2000, container: 'mp4', data, privacyMasks });
      const { id } = await fileRequest({ cameras: [camera] });
      expect((await approve(id)).statusCode).toBe(200);
      const response = await exportOf(id);
      expect(response.statusCode).toBe(200);
      const out = join(dir, `${camera}.ts`);
      writeFileSync(out, response.rawPayload);
      const packets = execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', out]).toString().trim();
      expect(Number(packets.split('\n')[0]), camera).toBe(20);
    }
    expect(listing(join(dir, 'work', 'exports'))).toEqual([]);
  });

  it('A6: static privacy masks recorded with an original stay on in its unredacted export, and the manifest names them', async () => {
    const leftHalf: [number, number][] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
    const stored = await gw.security.vault.store({ segmentId: 'cam-3-seg-0', cameraId: 'cam-3', startMs: T0, endMs: T0 + 9_999, container: 'mp4', data: makeClip(1), privacyMasks: [leftHalf] });
    const { id } = await fileRequest({ cameras: ['cam-3'] });
    expect((await approve(id)).statusCode).toBe(200);
    const response = await exportOf(id);
    expect(response.statusCode).toBe(200);
    const exportId = String(response.headers['x-export-id']);
    const manifest = (await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/exports/${exportId}/manifest`, headers: bearer(investigator) })).json();
    expect(manifest.segments).toEqual([expect.objectContaining({ originalId: stored.originalId, sha256: stored.sha256, privacyMasks: [leftHalf] })]);
    const file = join(gw.dataDir, 'masked-export.ts');
    writeFileSync(file, response.rawPayload);
    // 160×120 testsrc2: every frame's left half is black (luma ≤ 20), the right half still shows the pattern
    const gray = execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1']);
    const frameBytes = 160 * 120;
    expect(gray.length / frameBytes).toBe(10);
    for (let f = 0; f < 10; f++) {
      let leftMax = 0;
      let rightSum = 0;
      for (let y = 0; y < 120; y++) {
        for (let x = 0; x < 160; x++) {
          const v = gray[f * frameBytes + y * 160 + x]!;
          if (x < 78) leftMax = Math.max(leftMax, v);
          else if (x >= 82) rightSum += v;
        }
      }
      expect(leftMax).toBeLessThanOrEqual(20);
      expect(rightSum / (78 * 120)).toBeGreaterThan(40);
    }
  });

  it('D3: a grant opens exactly its cameras and window; narrower scopes work, wider ones are refused', async () => {
    const { id } = await fileRequest({ cameras: ['cam-1'] });
    expect((await approve(id)).statusCode).toBe(200);
    expect((await exportOf(id, '?camera=cam-2')).statusCode).toBe(403);
    expect((await exportOf(id, `?from=${iso(T0 - 1000)}`)).statusCode).toBe(403);
    expect((await exportOf(id, `?to=${iso(T0 + 40_000)}`)).statusCode).toBe(403);
    const narrow = await exportOf(id, `?from=${iso(T0 + 10_000)}&to=${iso(T0 + 20_000)}`);
    expect(narrow.statusCode).toBe(200);
    expect(narrow.headers['x-export-segments']).toBe('1');
    // another investigator cannot use (or even see) the grant
    expect((await exportOf(id, '', await gw.token('eve', ['investigator']))).statusCode).toBe(404);
  });

  it('D3: grants expire (default 24 h, at most 7 days) and revocation takes effect immediately', async () => {
    const { id } = await fileRequest();
    expect((await approve(id, approver, { grantHours: 169 })).statusCode).toBe(400);
    const approved = (await approve(id)).json();
    expect(Date.parse(approved.grantExpiresAt) - gw.clock.now()).toBe(24 * 3_600_000);
    gw.clock.advance(24 * 3_600_000 - 1000);
    expect((await exportOf(id, '', await gw.token('ivy', ['investigator']))).statusCode).toBe(200);
    gw.clock.advance(1000);
    const expired = await exportOf(id, '', await gw.token('ivy', ['investigator']));
    expect(expired.statusCode).toBe(403);
    expect(expired.json().detail).toMatch(/expired/);

    investigator = await gw.token('ivy', ['investigator']);
    approver = await gw.token('abe', ['approver']);
    const second = await fileRequest();
    expect((await approve(second.id)).statusCode).toBe(200);
    expect((await exportOf(second.id)).statusCode).toBe(200);
    const revoked = await gw.api.inject({ method: 'POST', url: `/v1/access-requests/${second.id}/revoke`, headers: bearer(approver), payload: { reason: 'case closed' } });
    expect(revoked.json().status).toBe('revoked');
    expect((await exportOf(second.id)).statusCode).toBe(403);
    expect(gw.security.audit.query({ action: 'access.revoke', limit: 10 }).records[0]).toMatchObject({ actor: 'abe', details: { reason: 'case closed', caseNumber: 'CASE-2026-17' } });
  });

  it('investigators list only their own requests; approvers see all', async () => {
    const mine = (await gw.api.inject({ method: 'GET', url: '/v1/access-requests', headers: bearer(await gw.token('eve', ['investigator'])) })).json();
    expect(mine.requests).toEqual([]);
    const all = (await gw.api.inject({ method: 'GET', url: '/v1/access-requests?status=pending', headers: bearer(approver) })).json();
    expect(all.requests.length).toBeGreaterThan(0);
    expect(all.requests.every((r: { status: string }) => r.status === 'pending')).toBe(true);
  });

  it('an export cut short by an original failing its integrity check: the manifest request says why, and the failure is audited', async () => {
    const { id } = await fileRequest({ cameras: ['cam-2'], from: iso(T0 + 20_000), to: iso(T0 + 40_000) });
    expect((await approve(id)).statusCode).toBe(200);
    // The second original of the window is altered on disk; the first streams before it is opened.
    const altered = gw.security.vault.get(ingest['cam-2-seg-3']!.originalId)!;
    const file = join(gw.dataDir, 'vault', altered.path);
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const address = await gw.api.listen({ host: '127.0.0.1', port: 0 });
    const response = await new Promise<{ status: number; exportId: string; bytes: number; complete: boolean }>((resolve, reject) => {
      get(`${address}/v1/access-requests/${id}/export`, { headers: bearer(investigator) }, (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => (received += chunk.length));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode ?? 0, exportId: String(res.headers['x-export-id']), bytes: received, complete: res.complete }));
      }).on('error', reject);
    });
    expect(response).toMatchObject({ status: 200, complete: false });
    expect(response.bytes).toBeGreaterThan(0);
    const manifest = await gw.api.inject({ method: 'GET', url: `/v1/access-requests/${id}/exports/${response.exportId}/manifest`, headers: bearer(investigator) });
    expect(manifest.statusCode).toBe(409);
    expect(manifest.json().detail).toMatch(new RegExp(`^export ${response.exportId} failed \\(.+\\); the stream it sent is incomplete and has no manifest$`));
    const actions = gw.security.audit.query({ limit: 500 }).records.filter((r) => r.details.exportId === response.exportId).map((r) => `${r.action}:${r.outcome}`);
    expect(actions).toContain('access.export_fail:failure');
    expect(actions).not.toContain('access.export_complete:success');
  });

  it('F4: when the audit store cannot be written, unredacted export and crypto-shred are refused with 503', async () => {
    const { id } = await fileRequest();
    expect((await approve(id)).statusCode).toBe(200);
    exhaustAuditStore(gw.db, (pad) => gw.security.audit.append({ actor: 'filler', action: 'test.fill', object: 'x', outcome: 'success', details: { pad } }));
    const refused = await exportOf(id);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: 'PGW_ERR_AUDIT_UNAVAILABLE', status: 503 });
    expect(refused.body).not.toMatch(/at .*\.ts/);
    const victim = ingest['cam-2-seg-0']!.originalId;
    expect(() => gw.security.vault.shred(victim, { actor: 'system:retention' })).toThrow(expect.objectContaining({ code: 'PGW_ERR_AUDIT_UNAVAILABLE' }));
    expect(gw.security.vault.get(victim)!.wrappedDek).not.toBeNull();
  });
});
