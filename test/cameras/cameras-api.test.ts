import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocalToken } from '../../src/api/local-token.js';
import { bearer, makeClip, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';
import { lumaOf } from './camera-fixtures.js';

const JUSTIFIED = { enabled: true, justification: 'Depot noise complaints need sound levels as evidence' };

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('cameras API', () => {
  let gw: TestGateway;
  let operator: string;
  let auditor: string;

  beforeAll(async () => {
    gw = await openTestGateway({
      pipeline: { offlineProfile: 'none' },
      cameras: { devices: [{ id: 'bw1', kind: 'bodyworn' }], uploadMaxBytes: 200_000 },
    });
    operator = await gw.token('op-1', ['operator']);
    auditor = await gw.token('aud-1', ['auditor']);
  });

  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, payload?: unknown) =>
    gw.api.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  it('lists configured cameras and manages API cameras; only operators and admins may', async () => {
    expect((await call('GET', '/v1/cameras', auditor)).statusCode).toBe(403);
    const created = await call('POST', '/v1/cameras', operator, { id: 'gate', source: 'rtsp://user:secret@10.0.0.5/stream', masks: [[[0, 0], [0.2, 0], [0.2, 0.2]]], enabled: false });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'gate', origin: 'api', source: 'rtsp://***@10.0.0.5/stream', audio: { enabled: false } });
    expect((await call('POST', '/v1/cameras', operator, { id: 'gate', source: 'testsrc' })).statusCode).toBe(409);
    const ids = (await call('GET', '/v1/cameras', operator)).json<{ cameras: { id: string; origin: string }[] }>().cameras.map((c) => `${c.id}:${c.origin}`);
    expect(ids).toEqual(['bw1:config', 'gate:api']);
    const updated = await call('PUT', '/v1/cameras/gate', operator, { id: 'gate', source: 'testsrc', kind: 'stationary', enabled: false, audio: JUSTIFIED });
    expect(updated.json()).toMatchObject({ source: 'testsrc', audio: JUSTIFIED });
    expect((await call('DELETE', '/v1/cameras/bw1', operator)).statusCode).toBe(409);
    expect((await call('DELETE', '/v1/cameras/gate', operator)).statusCode).toBe(204);
    expect((await call('GET', '/v1/cameras/gate', operator)).statusCode).toBe(404);
    const actions = gw.security.audit.query({ limit: 50 }).records.map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['camera.create', 'camera.update', 'camera.delete']));
  });

  it('refuses audio without a justification (A5) and masks outside the frame (A6)', async () => {
    const silent = await call('POST', '/v1/cameras', operator, { id: 'mic', source: 'testsrc', audio: { enabled: true } });
    expect(silent.statusCode).toBe(400);
    expect(silent.json().detail).toMatch(/justification/);
    const outside = await call('POST', '/v1/cameras', operator, { id: 'mask', source: 'testsrc', masks: [[[0, 0], [1.5, 0], [1, 1]]] });
    expect(outside.statusCode).toBe(400);
  });

  it('reports camera status and exposes Prometheus metrics', async () => {
    const status = await call('GET', '/v1/cameras/bw1/status', operator);
    expect(status.json()).toMatchObject({ id: 'bw1', state: 'stopped', reconnects: 0, failClosedFrames: 0, lastError: null });
    const metrics = await call('GET', '/metrics', auditor);
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('# TYPE pgw_camera_frames_total counter');
    expect(metrics.body).toContain('# TYPE pgw_camera_frame_latency_seconds histogram');
    expect((await gw.api.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  });
});

const LEFT_HALF: [number, number][] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];

/** A 2 s clip whose container says it was created at `iso`, as a body-worn camera's clock would stamp it. */
function clipCreatedAt(iso: string): Buffer {
  return execFileSync('/usr/bin/ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-g', '10', '-pix_fmt', 'yuv420p', '-metadata', `creation_time=${iso}`, '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', 'pipe:1',
  ]);
}

describe('body-worn uploads (H6)', () => {
  let gw: TestGateway;
  let operator: string;
  const uploads = () => listing(join(gw.dataDir, 'work', 'uploads'));
  const spool = () => listing(join(gw.dataDir, 'spool', 'bw1'));

  beforeAll(async () => {
    gw = await openTestGateway({ pipeline: { offlineProfile: 'none' }, cameras: { devices: [{ id: 'bw1', kind: 'bodyworn' }, { id: 'bw2', kind: 'bodyworn' }, { id: 'bw3', kind: 'bodyworn', masks: [LEFT_HALF] }], uploadMaxBytes: 200_000, uploadMaxPixels: 320 * 240 } });
    operator = await gw.token('op-1', ['operator']);
  });

  afterAll(async () => {
    await gw.close();
    removeDir(gw.dataDir);
  });

  const upload = (body: Buffer, token: string, camera = 'bw1') =>
    gw.api.inject({ method: 'POST', url: `/v1/uploads?camera=${camera}`, headers: { ...bearer(token), 'content-type': 'video/mp4' }, payload: body });

  it('redacts a valid clip into a segment with a sidecar, keeps the original only in the vault, leaves no temp file', async () => {
    const accepted = await upload(makeClip(2), operator);
    expect(accepted.statusCode).toBe(202);
    const id = accepted.json<{ id: string }>().id;
    let job: { state: string; segmentId: string | null; progress: number | null; error: string | null } = { state: 'queued', segmentId: null, progress: null, error: null };
    for (let i = 0; i < 300 && job.state !== 'done' && job.state !== 'failed'; i++) {
      job = (await gw.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(operator) })).json();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ state: 'done', progress: 1 });
    const sidecar = JSON.parse(readFileSync(join(gw.dataDir, 'spool', 'bw1', `${job.segmentId}.json`), 'utf8')) as { frameCount: number; cameraKind: string; originals: { originalId: string }[] };
    expect(sidecar).toMatchObject({ frameCount: 20, cameraKind: 'bodyworn' });
    expect(gw.security.vault.get(sidecar.originals[0]?.originalId ?? '')?.cameraId).toBe('bw1');
    expect(uploads()).toEqual([]);
  });

  it('applies the camera\'s static privacy masks to every frame of an upload and records them with its original (A6)', async () => {
    const accepted = await upload(makeClip(2), operator, 'bw3');
    expect(accepted.statusCode).toBe(202);
    const id = accepted.json<{ id: string }>().id;
    let job = accepted.json<{ state: string; segmentId: string | null; error: string | null }>();
    for (let i = 0; i < 300 && job.state !== 'done' && job.state !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await gw.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(operator) })).json();
    }
    expect(job.error).toBeNull();
    const segment = join(gw.dataDir, 'spool', 'bw3', `${job.segmentId}.mp4`);
    const masked = lumaOf(segment, { x: 4, y: 4, w: 70, h: 112 });
    expect(masked.frames).toBe(20);
    expect(masked.max).toBeLessThanOrEqual(24);
    expect(lumaOf(segment, { x: 90, y: 4, w: 66, h: 112 }).max).toBeGreaterThan(100);
    const sidecar = JSON.parse(readFileSync(join(gw.dataDir, 'spool', 'bw3', `${job.segmentId}.json`), 'utf8')) as { privacyMasks: number; originals: { originalId: string }[] };
    expect(sidecar.privacyMasks).toBe(1);
    expect(gw.security.vault.get(sidecar.originals[0]?.originalId ?? '')?.privacyMasks).toEqual([LEFT_HALF]);
  });

  it('rejects corrupt, non-video, empty and oversized uploads clearly and leaves nothing behind', async () => {
    const before = spool();
    const whole = join(gw.dataDir, 'whole.mp4');
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', whole]);
    const truncated = readFileSync(whole).subarray(0, 3000);
    writeFileSync(whole, '');
    for (const body of [truncated, Buffer.from('just some text, not a video'), Buffer.alloc(0)]) {
      const response = await upload(body, operator);
      expect(response.statusCode).toBe(422);
      expect(response.json().code).toBe('PGW_ERR_INPUT_INVALID');
    }
    const oversized = await upload(Buffer.concat([makeClip(2), Buffer.alloc(200_000)]), operator);
    expect(oversized.statusCode).toBe(413);
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:size=640x480:rate=10', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', whole, '-y']);
    const largeClip = readFileSync(whole);
    writeFileSync(whole, '');
    const large = await upload(largeClip, operator);
    expect(large.statusCode).toBe(422);
    expect(large.json().detail).toBe('upload frames are 640×480 (0.3 MP), over the limit of 76800 pixels (cameras.uploadMaxPixels)');
    expect(uploads()).toEqual([]);
    expect(spool()).toEqual(before);
  });

  it('answers 503 to an upload the disk cannot hold, so the device sends it again later, and keeps nothing of it', async () => {
    const principal = { subject: 'op', roles: ['operator' as const], authMethods: [], scopes: [] };
    // The received bytes cannot be written: the stream fails as a write to a full disk does.
    const body = new Readable({
      read() {
        this.destroy(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      },
    });
    await expect(gw.uploads.service.accept(principal, 'bw1', body)).rejects.toMatchObject({ code: 'PGW_ERR_UNAVAILABLE', message: "the gateway's disk is full: the upload was not stored; send it again later" });
    expect(uploads()).toEqual([]);
  });

  it('fails a clip that probes but does not decode as a job with a clear error, leaving nothing behind', async () => {
    const before = spool();
    const whole = join(gw.dataDir, 'garbled.mp4');
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', whole]);
    const garbled = readFileSync(whole);
    writeFileSync(whole, '');
    garbled.fill(0, Math.floor(garbled.length * 0.3));
    const accepted = await upload(garbled, operator);
    expect(accepted.statusCode).toBe(202);
    const id = accepted.json<{ id: string }>().id;
    let job = accepted.json<{ state: string; error: string | null }>();
    for (let i = 0; i < 300 && job.state !== 'done' && job.state !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await gw.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(operator) })).json();
    }
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/truncated or corrupt|decod/);
    expect(uploads()).toEqual([]);
    expect(spool()).toEqual(before);
  });

  const finished = async (id: string) => {
    let job = { state: 'queued' } as { state: string; segmentId: string | null; error: string | null };
    for (let i = 0; i < 300 && job.state !== 'done' && job.state !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await gw.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(operator) })).json();
    }
    expect(job.error).toBeNull();
    return job;
  };

  it('files an upload under its recording time: the stated recordedAt, else the clip\'s creation time, else its arrival (C1)', async () => {
    const now = gw.clock.now();
    const created = new Date(now - 3 * 3_600_000).toISOString();
    const fromClip = await upload(clipCreatedAt(created), operator);
    expect(fromClip.json()).toMatchObject({ recordedAt: created, recordedAtSource: 'container' });
    const job = await finished(fromClip.json<{ id: string }>().id);
    const sidecar = JSON.parse(readFileSync(join(gw.dataDir, 'spool', 'bw1', `${job.segmentId}.json`), 'utf8')) as { start: string; endMs: number; timeSource: string; originals: { originalId: string }[] };
    expect(sidecar).toMatchObject({ start: created, endMs: Date.parse(created) + 2000, timeSource: 'container' });
    expect(gw.security.vault.get(sidecar.originals[0]?.originalId ?? '')).toMatchObject({ startMs: Date.parse(created), endMs: Date.parse(created) + 2000 });

    const stated = new Date(now - 3_600_000).toISOString();
    const fromRequest = await gw.api.inject({ method: 'POST', url: `/v1/uploads?camera=bw1&recordedAt=${stated}`, headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: clipCreatedAt(created) });
    expect(fromRequest.json()).toMatchObject({ recordedAt: stated, recordedAtSource: 'request' });
    const resetClock = await upload(clipCreatedAt('2000-01-01T00:00:00Z'), operator);
    expect(resetClock.json()).toMatchObject({ recordedAt: new Date(now - 2000).toISOString(), recordedAtSource: 'upload' });
    await finished(fromRequest.json<{ id: string }>().id);
    await finished(resetClock.json<{ id: string }>().id);
  });

  it('refuses a recordedAt in the future or malformed, leaving nothing behind', async () => {
    const before = spool();
    const future = new Date(gw.clock.now() + 3_600_000).toISOString();
    const ahead = await gw.api.inject({ method: 'POST', url: `/v1/uploads?camera=bw1&recordedAt=${future}`, headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: makeClip(1) });
    expect(ahead.statusCode).toBe(422);
    expect(ahead.json().detail).toMatch(/^recordedAt .* ends after the upload arrived \(latest possible start /);
    const malformed = await gw.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1&recordedAt=yesterday', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: makeClip(1) });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().detail).toMatch(/recordedAt/);
    expect(uploads()).toEqual([]);
    expect(spool()).toEqual(before);
  });

  it('lets a device token upload only as its own camera', async () => {
    const { privateKey, keyId } = gw.security.tokenKey;
    const device = await issueLocalToken(privateKey, keyId, {
      subject: 'device:bw2', roles: [], ttlSec: 600, issuer: gw.config.auth.issuer, audience: gw.config.auth.audience,
      nowSec: Math.floor(gw.clock.now() / 1000), deviceId: 'bw2', scopes: ['upload'],
    });
    expect((await upload(makeClip(1), device, 'bw1')).statusCode).toBe(403);
    const own = (await upload(makeClip(1), device, 'bw2')).json<{ id: string }>().id;
    const other = (await upload(makeClip(1), operator, 'bw1')).json<{ id: string }>().id;
    // A device sees its own camera's jobs by id, not another camera's, nor the list of every camera's jobs.
    expect((await gw.api.inject({ method: 'GET', url: `/v1/jobs/${own}`, headers: bearer(device) })).json()).toMatchObject({ id: own, camera: 'bw2' });
    const hidden = await gw.api.inject({ method: 'GET', url: `/v1/jobs/${other}`, headers: bearer(device) });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ detail: `no job ${other}` });
    expect((await gw.api.inject({ method: 'GET', url: `/v1/jobs/${other}`, headers: bearer(operator) })).statusCode).toBe(200);
    expect((await gw.api.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(device) })).statusCode).toBe(403);
  });

  it('lists jobs newest first, by state and camera, for operators, admins and auditors', async () => {
    await gw.uploads.service.drain();
    const ids = [];
    for (const camera of ['bw1', 'bw2', 'bw2']) {
      ids.push((await upload(makeClip(1), operator, camera)).json<{ id: string }>().id);
      gw.clock.advance(1000);
    }
    await gw.uploads.service.drain();
    const list = async (query: string, token = operator) =>
      (await gw.api.inject({ method: 'GET', url: `/v1/jobs${query}`, headers: bearer(token) })).json<{ jobs: { id: string; camera: string; state: string }[] }>().jobs;
    const all = await list('');
    expect(all.slice(0, 3).map((job) => job.id)).toEqual([...ids].reverse());
    expect((await list('?camera=bw2&state=done')).slice(0, 2).map((job) => job.id)).toEqual([ids[2], ids[1]]);
    expect((await list('?camera=bw2')).every((job) => job.camera === 'bw2')).toBe(true);
    expect(await list('?state=running')).toEqual([]);
    expect(await list('?limit=1', await gw.token('aud-1', ['auditor']))).toHaveLength(1);
    const bad = await gw.api.inject({ method: 'GET', url: '/v1/jobs?state=stuck', headers: bearer(operator) });
    expect(bad.statusCode).toBe(400);
  });
});
