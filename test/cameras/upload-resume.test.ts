import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bearer, makeClip, openTestGateway, removeDir, type TestGateway } from '../access/security-fixtures.js';

const CONFIG = { pipeline: { offlineProfile: 'none' as const }, cameras: { devices: [{ id: 'bw1', kind: 'bodyworn' as const }] } };

/** Every file under `dir` whose bytes contain `marker`. */
function filesContaining(dir: string, marker: Buffer): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile() && readFileSync(path).includes(marker));
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Starts the gateway again on `dataDir`: the one waiting job `id` runs, and its original in the vault is `clip`. */
async function expectRunAtNextStart(dataDir: string, id: string, clip: Buffer): Promise<void> {
  const second = await openTestGateway(CONFIG, dataDir);
  try {
    expect(await second.uploads.service.resume()).toBe(1);
    await second.uploads.service.drain();
    const job = (await second.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(await second.token('op-1', ['operator'])) })).json<{ state: string; segmentId: string }>();
    expect(job.state).toBe('done');
    const sidecar = JSON.parse(readFileSync(join(dataDir, 'spool', 'bw1', `${job.segmentId}.json`), 'utf8')) as { originals: { originalId: string }[] };
    expect((await second.security.vault.open(sidecar.originals[0]?.originalId ?? '', { actor: 'test' })).equals(clip)).toBe(true);
  } finally {
    await second.close();
    removeDir(dataDir);
  }
}

describe('body-worn upload jobs across a stop (no accepted clip is lost, no plaintext is left)', () => {
  let gw: TestGateway | undefined;

  afterAll(async () => {
    await gw?.close();
    if (gw) removeDir(gw.dataDir);
  });

  it('keeps the clips of jobs a stop cut short, runs them at the next start and cleans up everything else', async () => {
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    const upload = async (): Promise<string> => {
      const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: makeClip(3) });
      expect(response.statusCode).toBe(202);
      return response.json<{ id: string }>().id;
    };
    const ids = [await upload(), await upload()];
    await first.uploads.service.stop();
    const work = join(first.dataDir, 'work', 'uploads');
    const spool = join(first.dataDir, 'spool', 'bw1');
    const left = listing(work);
    // The second job never started; the first was cut short or finished (then nothing of it is left).
    expect(left).toEqual(expect.arrayContaining([`${ids[1]}.json`, `${ids[1]}.upload`]));
    expect(left.filter((name) => !/^job_[0-9a-f]{24}\.(json|upload)$/.test(name))).toEqual([]);
    const finishedBeforeStop = listing(spool).filter((name) => name.endsWith('.mp4')).length;
    expect(finishedBeforeStop + left.length / 2).toBe(2);
    await first.close();
    // A crash can also leave a clip that was never acknowledged and a half-written output.
    writeFileSync(join(work, 'job_00000000000000000000aaaa.upload'), 'never acknowledged');
    writeFileSync(join(work, `${ids[1]}.mp4.partial`), 'half written');

    gw = await openTestGateway(CONFIG, first.dataDir);
    expect(await gw.uploads.service.resume()).toBe(left.length / 2);
    await gw.uploads.service.drain();
    const again = await gw.token('op-1', ['operator']);
    for (const id of left.filter((name) => name.endsWith('.json')).map((name) => name.replace('.json', ''))) {
      const job = (await gw.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(again) })).json<{ state: string; error: string | null }>();
      expect(job).toMatchObject({ state: 'done', error: null });
    }
    expect(listing(work)).toEqual([]);
    const segments = listing(spool).filter((name) => name.endsWith('.mp4'));
    expect(segments).toHaveLength(2);
    for (const segment of segments) expect(listing(spool)).toContain(segment.replace('.mp4', '.json'));
  });

  it('counts only runs the gateway went down during: restarts while a job waits, and runs a stop cuts short, do not use up its tries', async () => {
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    // Long enough (600 frames) that the stop below cuts its run short.
    const clip = makeClip(60, 'color');
    const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: clip });
    const id = response.json<{ id: string }>().id;
    const recordPath = join(first.dataDir, 'work', 'uploads', `${id}.json`);
    const interruptedRuns = () => (JSON.parse(readFileSync(recordPath, 'utf8')) as { interruptedRuns?: number }).interruptedRuns ?? 0;
    // While it runs, the record says what a crash now would leave: one interrupted run.
    await vi.waitFor(() => expect(first.uploads.service.job(id).state).toBe('running'), { timeout: 10_000, interval: 5 });
    await vi.waitFor(() => expect(interruptedRuns()).toBe(1), { timeout: 5_000, interval: 5 });
    await first.uploads.service.stop();
    expect(first.uploads.service.job(id).state).toBe('queued');
    expect(interruptedRuns()).toBe(0);
    await first.close();
    // Five restarts at which the job is queued but the gateway stops before running it.
    for (let restart = 0; restart < 5; restart += 1) {
      const waiting = await openTestGateway(CONFIG, first.dataDir);
      await waiting.uploads.service.stop();
      expect(await waiting.uploads.service.resume()).toBe(1);
      await waiting.close();
    }
    expect(interruptedRuns()).toBe(0);
    await expectRunAtNextStart(first.dataDir, id, clip);
  });

  it('gives a clip up after the gateway went down three times while redacting it, so one clip cannot stop every later start', async () => {
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    // Stopped first, so the accepted job is recorded but never run.
    await first.uploads.service.stop();
    const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: makeClip(1) });
    const id = response.json<{ id: string }>().id;
    await first.close();
    const work = join(first.dataDir, 'work', 'uploads');
    const recordPath = join(work, `${id}.json`);
    expect(existsSync(recordPath)).toBe(true);
    writeFileSync(recordPath, JSON.stringify({ ...JSON.parse(readFileSync(recordPath, 'utf8')), interruptedRuns: 3 }));

    const second = await openTestGateway(CONFIG, first.dataDir);
    try {
      expect(await second.uploads.service.resume()).toBe(0);
      const job = (await second.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(await second.token('op-1', ['operator'])) })).json<{ state: string; error: string }>();
      expect(job).toMatchObject({ state: 'failed', error: 'the gateway went down 3 times while redacting it; the clip was discarded' });
      expect(listing(work)).toEqual([]);
      expect(listing(join(first.dataDir, 'spool', 'bw1')).filter((name) => name.endsWith('.mp4'))).toEqual([]);
    } finally {
      await second.close();
      removeDir(first.dataDir);
    }
  });

  it('keeps a waiting clip encrypted at rest (P2, B1): no plaintext in the data dir, the original intact after a restart', async () => {
    const marker = `PGW-PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
    const clip = execFileSync('/usr/bin/ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast',
      '-metadata', `title=${marker}`, '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov', 'pipe:1',
    ]);
    expect(clip.includes(Buffer.from(marker))).toBe(true);
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    await first.uploads.service.stop();
    const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: clip });
    expect(response.statusCode).toBe(202);
    expect(listing(join(first.dataDir, 'work', 'uploads'))).toHaveLength(2);
    expect(filesContaining(first.dataDir, Buffer.from(marker))).toEqual([]);
    await first.close();

    const second = await openTestGateway(CONFIG, first.dataDir);
    try {
      expect(await second.uploads.service.resume()).toBe(1);
      await second.uploads.service.drain();
      const id = response.json<{ id: string }>().id;
      const job = (await second.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(await second.token('op-1', ['operator'])) })).json<{ state: string; segmentId: string }>();
      expect(job.state).toBe('done');
      const sidecar = JSON.parse(readFileSync(join(first.dataDir, 'spool', 'bw1', `${job.segmentId}.json`), 'utf8')) as { originals: { originalId: string }[] };
      const original = await second.security.vault.open(sidecar.originals[0]?.originalId ?? '', { actor: 'test' });
      expect(original.equals(clip)).toBe(true);
      expect(filesContaining(first.dataDir, Buffer.from(marker))).toEqual([]);
    } finally {
      await second.close();
      removeDir(first.dataDir);
    }
  });

  it('keeps a waiting clip across a key-encryption key rotation: its key is re-sealed before the old KEK is destroyed', async () => {
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    await first.uploads.service.stop();
    const clip = makeClip(1);
    const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: clip });
    const id = response.json<{ id: string }>().id;
    const recordPath = join(first.dataDir, 'work', 'uploads', `${id}.json`);
    const sealedBefore = (JSON.parse(readFileSync(recordPath, 'utf8')) as { sealedKey: { kekId: string } }).sealedKey.kekId;
    const rotation = await first.security.vault.rotateKek({ actor: 'admin-1' });
    expect(rotation.fromKeks).toContain(sealedBefore);
    expect((JSON.parse(readFileSync(recordPath, 'utf8')) as { sealedKey: { kekId: string } }).sealedKey.kekId).toBe(rotation.toKek);
    expect(first.security.vault.keyStatus().activeKek).toBe(rotation.toKek);
    await first.close();

    await expectRunAtNextStart(first.dataDir, id, clip);
  });

  it('keeps the clip of a job whose original could not be stored (a full disk), and runs it at the next start', async () => {
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    const vault = first.security.vault;
    const store = vault.store.bind(vault);
    vault.store = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const clip = makeClip(1);
    const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: clip });
    const id = response.json<{ id: string }>().id;
    await first.uploads.service.drain();
    const job = (await first.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(operator) })).json<{ state: string; error: string }>();
    expect(job).toMatchObject({ state: 'queued', error: expect.stringMatching(/^the original could not be stored \(vault write failed\); the clip is kept and the job runs again in about \d+ s$/) as unknown });
    expect(listing(join(first.dataDir, 'work', 'uploads'))).toEqual([`${id}.json`, `${id}.upload`]);
    expect(listing(join(first.dataDir, 'spool', 'bw1')).filter((name) => name.endsWith('.mp4'))).toEqual([]);
    vault.store = store;
    await first.close();

    await expectRunAtNextStart(first.dataDir, id, clip);
  });

  it('runs a job the box could not finish again in the running gateway, backing off, until its original is stored', async () => {
    const first = await openTestGateway({ ...CONFIG, cameras: { ...CONFIG.cameras, uploadRetryMinMs: 200, uploadRetryMaxMs: 400 } });
    try {
      const operator = await first.token('op-1', ['operator']);
      const vault = first.security.vault;
      const store = vault.store.bind(vault);
      const refusedAt: number[] = [];
      vault.store = (...args) => {
        if (refusedAt.length === 3) return store(...args);
        refusedAt.push(Date.now());
        return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      };
      const clip = makeClip(1);
      const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: clip });
      const id = response.json<{ id: string }>().id;
      const readJob = async () => (await first.api.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(operator) })).json<{ state: string; error: string | null; segmentId: string }>();
      await vi.waitFor(async () => expect((await readJob()).state).toBe('done'), { timeout: 30_000, interval: 100 });
      expect(refusedAt).toHaveLength(3);
      // Delays of 100–200 ms, then 200–400 ms (equal jitter), on top of the job's run.
      expect(refusedAt[1]! - refusedAt[0]!).toBeGreaterThanOrEqual(100);
      expect(refusedAt[2]! - refusedAt[1]!).toBeGreaterThanOrEqual(200);
      const job = await readJob();
      expect(job.error).toBeNull();
      const sidecar = JSON.parse(readFileSync(join(first.dataDir, 'spool', 'bw1', `${job.segmentId}.json`), 'utf8')) as { originals: { originalId: string }[] };
      expect((await vault.open(sidecar.originals[0]?.originalId ?? '', { actor: 'test' })).equals(clip)).toBe(true);
      expect(listing(join(first.dataDir, 'work', 'uploads'))).toEqual([]);
    } finally {
      await first.close();
      removeDir(first.dataDir);
    }
  });

  it('fails a waiting clip whose sealed key can no longer be unsealed, and removes it', async () => {
    const first = await openTestGateway(CONFIG);
    const operator = await first.token('op-1', ['operator']);
    await first.uploads.service.stop();
    const response = await first.api.inject({ method: 'POST', url: '/v1/uploads?camera=bw1', headers: { ...bearer(operator), 'content-type': 'video/mp4' }, payload: makeClip(1) });
    const recordPath = join(first.dataDir, 'work', 'uploads', `${response.json<{ id: string }>().id}.json`);
    // Its key-encryption key is gone (e.g. a KEK from the environment replaced without PGW_VAULT_KEK_PREVIOUS).
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as { sealedKey: { kekId: string } };
    writeFileSync(recordPath, JSON.stringify({ ...record, sealedKey: { ...record.sealedKey, kekId: 'kek-gone' } }));
    await first.close();

    const second = await openTestGateway(CONFIG, first.dataDir);
    try {
      expect(await second.uploads.service.resume()).toBe(0);
      const job = (await second.api.inject({ method: 'GET', url: `/v1/jobs/${response.json<{ id: string }>().id}`, headers: bearer(await second.token('op-1', ['operator'])) })).json<{ state: string; error: string }>();
      expect(job).toMatchObject({ state: 'failed', error: expect.stringMatching(/key can no longer be unsealed/) as unknown });
      expect(listing(join(first.dataDir, 'work', 'uploads'))).toEqual([]);
    } finally {
      await second.close();
      removeDir(first.dataDir);
    }
  });
});
