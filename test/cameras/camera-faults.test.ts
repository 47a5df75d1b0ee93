import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/shared/types.js';
import { removeDir, tempDir } from '../access/security-fixtures.js';
import { openLiveHarness, waitFor, type LiveHarness } from './camera-fixtures.js';
import { RtspTestServer, testPattern } from './rtsp-harness.js';

const OPERATOR: Principal = { subject: 'operator-1', roles: ['operator'], authMethods: ['pwd'], scopes: [] };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(devices: Parameters<typeof openLiveHarness>[1], overrides: Parameters<typeof openLiveHarness>[2] = {}): Promise<{ live: LiveHarness; dir: string }> {
  const dir = tempDir('pgw-faults-');
  const live = await openLiveHarness(dir, devices, overrides);
  cleanups.push(async () => {
    await live.close();
    removeDir(dir);
  });
  return { live, dir };
}

async function server(mounts: Record<string, string>): Promise<RtspTestServer> {
  const rtsp = await RtspTestServer.start(mounts);
  cleanups.push(() => rtsp.close());
  return rtsp;
}

describe('camera faults are contained to the camera (H5)', () => {
  it('reconnects a camera whose server is killed and restored, while another camera streams on', async () => {
    const flaky = await server({ '/cam': testPattern(320, 240) });
    const steady = await server({ '/cam': testPattern(320, 240, 'smpte') });
    const { live } = await harness([
      { id: 'flaky', source: flaky.url('/cam'), profile: 'none' },
      { id: 'steady', source: steady.url('/cam'), profile: 'none' },
    ]);
    const status = (id: string) => live.cameras.status(id);
    await waitFor('both cameras streaming', () => status('flaky').outputFps > 0 && status('steady').outputFps > 0, 30_000);
    await flaky.kill();
    await waitFor('flaky camera to notice', () => status('flaky').reconnects >= 1, 15_000);
    expect(status('flaky').lastError).toMatch(/decoder_failed|source_ended|stalled|exited/);
    const steadyBefore = status('steady');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(status('steady').state).toBe('streaming');
    expect(status('steady').outputFps).toBeGreaterThan(15);
    expect(status('steady').reconnects).toBe(0);
    expect(status('steady').segments).toBeGreaterThanOrEqual(steadyBefore.segments);
    await flaky.restart();
    await waitFor('flaky camera back', () => status('flaky').state === 'streaming' && status('flaky').outputFps > 0, 30_000);
    expect(status('steady').reconnects).toBe(0);
  }, 90_000);

  it('removes the unfinished segment of a killed camera process when the camera restarts', async () => {
    const { live, dir } = await harness([{ id: 'cam', source: 'testsrc:320x240@25', profile: 'none' }]);
    const work = join(dir, 'work', 'cameras', 'cam');
    const files = () => (existsSync(work) ? readdirSync(work) : []);
    await waitFor('a segment in progress', () => files().length > 0, 30_000);
    const killed = files();
    const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'camera-process']).toString().trim().split('\n');
    expect(pids).toHaveLength(1);
    process.kill(Number(pids[0]), 'SIGKILL');
    await waitFor('the camera restarted', () => live.cameras.status('cam').reconnects >= 1 && live.cameras.status('cam').state === 'streaming', 30_000);
    await waitFor('the new run writing', () => files().length > 0, 10_000);
    for (const name of killed) expect(files()).not.toContain(name);
    const runOf = (name: string) => name.split('-')[0];
    expect(files().map(runOf).filter((run) => killed.map(runOf).includes(run))).toEqual([]);
  }, 60_000);

  it('restarts a camera whose source stalls (no frames, connection open) and recovers when it flows again', async () => {
    const rtsp = await server({ '/cam': testPattern(320, 240) });
    // The socket timeout is longer than the stall limit, so the gateway's own stall watch must act first.
    const { live } = await harness([{ id: 'stall', source: rtsp.url('/cam'), profile: 'none' }], { stallMs: 2000, rtspTimeoutMs: 15_000 });
    const status = () => live.cameras.status('stall');
    await waitFor('streaming', () => status().outputFps > 0, 30_000);
    rtsp.pause();
    await waitFor('a restart after the stall', () => status().reconnects >= 1, 20_000);
    expect(status().lastError).toMatch(/^stalled: no frame for 2000 ms/);
    rtsp.resume();
    await waitFor('streaming again', () => status().state === 'streaming' && status().outputFps > 0, 40_000);
  }, 90_000);

  it('contains a camera whose address answers with garbage instead of RTSP, and reports the fault', async () => {
    // A TCP service that answers every connection with random bytes, as a misconfigured or broken device might.
    const sockets = new Set<Socket>();
    const garbage = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
      socket.end(randomBytes(4096));
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => garbage.close(() => resolve()));
    });
    const steady = await server({ '/cam': testPattern(320, 240, 'smpte') });
    const { port } = garbage.address() as AddressInfo;
    const { live } = await harness([
      { id: 'garbage', source: `rtsp://127.0.0.1:${port}/cam`, profile: 'none' },
      { id: 'steady', source: steady.url('/cam'), profile: 'none' },
    ], { rtspTimeoutMs: 3000 });
    const status = (id: string) => live.cameras.status(id);
    await waitFor('the garbage camera to be retried', () => status('garbage').reconnects >= 2, 40_000);
    expect(status('garbage').state).not.toBe('streaming');
    expect(status('garbage').lastError).toMatch(/start_failed|decoder_failed|source_ended|exited/);
    await waitFor('the other camera streaming', () => status('steady').outputFps > 15, 30_000);
    expect(status('steady').reconnects).toBe(0);
  }, 90_000);

  it('refuses a camera whose frames exceed cameras.streamMaxPixels, says why, and lets the others stream', async () => {
    const { live, dir } = await harness([
      { id: 'huge', source: 'testsrc:320x240@10', profile: 'none' },
      { id: 'small', source: 'testsrc:160x120@10', profile: 'none' },
    ], { streamMaxPixels: 160 * 120 });
    const status = (id: string) => live.cameras.status(id);
    await waitFor('the oversized camera to be refused', () => status('huge').lastError !== null, 20_000);
    expect(status('huge').lastError).toMatch(/camera huge frames are 320×240 \(76800 pixels\), over the limit of 19200 pixels \(cameras\.streamMaxPixels\)/);
    expect(status('huge').state).not.toBe('streaming');
    await waitFor('the other camera streaming', () => status('small').outputFps > 5, 30_000);
    expect(existsSync(join(dir, 'spool', 'huge')) ? readdirSync(join(dir, 'spool', 'huge')) : []).toEqual([]);
  }, 60_000);

  it('restarts a camera whose encoder dies (its output cannot be written) and says so', async () => {
    const { live, dir } = await harness([{ id: 'enc', source: 'testsrc:160x120@10', profile: 'none' }], { segmentSeconds: 1 });
    const status = () => live.cameras.status('enc');
    await waitFor('the camera streaming', () => status().state === 'streaming', 20_000);
    // The segment muxer opens each new segment in the work directory; without it, the encoder fails at the next cut.
    rmSync(join(dir, 'work', 'cameras', 'enc'), { recursive: true, force: true });
    await waitFor('the encoder fault', () => /encoder_failed/.test(status().lastError ?? ''), 20_000);
    expect(status().lastError).toMatch(/^encoder_failed: .*encoder failed \(/);
    await waitFor('the camera streaming again', () => status().state === 'streaming' && status().reconnects >= 1, 30_000);
  }, 70_000);

  it('restarts a camera whose resolution changes mid-stream', async () => {
    const { live, dir } = await harness([], { stallMs: 3000 });
    const clip = join(dir, 'switch.ts');
    const part = (size: string, name: string) => {
      execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-f', 'mpegts', join(dir, name)]);
      return join(dir, name);
    };
    const parts = [part('320x240', 'a.ts'), part('480x272', 'b.ts')];
    execFileSync('/usr/bin/ffmpeg', ['-v', 'error', '-i', `concat:${parts.join('|')}`, '-c', 'copy', '-f', 'mpegts', clip]);
    await live.cameras.put(OPERATOR, { id: 'switch', source: clip, profile: 'none' }, 'create');
    const status = () => live.cameras.status('switch');
    await waitFor('streaming at 320x240', () => status().width === 320, 20_000);
    await waitFor('restart on the resolution change', () => status().reconnects >= 1, 20_000);
    expect(status().lastError).toMatch(/resolution_changed: source size changed to 480x272/);
  }, 60_000);
});
