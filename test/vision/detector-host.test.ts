import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { DetectorHost } from '../../src/vision/detector-host.js';

const WIDTH = 1280;
const HEIGHT = 720;
const FRAME = { index: 0, ptsMs: 0, sourceWidth: WIDTH, sourceHeight: HEIGHT };

function profileHost(profile: 'live' | 'thorough', detectTimeoutMs: number): DetectorHost {
  return new DetectorHost({
    spec: { kind: 'profile', profile, modelsDir: 'models', classes: profile === 'live' ? ['face', 'plate'] : ['plate'] },
    clock: systemClock,
    logger: silentLogger(),
    detectTimeoutMs,
    initTimeoutMs: 60_000,
    maxRestarts: 3,
    restartWindowMs: 60_000,
  });
}

/** A 720p analysis frame with some texture, so the text detector has regions to trace. */
function detectOnFrame(host: DetectorHost): ReturnType<DetectorHost['detect']> {
  const pool = host.framePool(WIDTH * HEIGHT * 3, 2);
  const slot = pool.acquire();
  const view = new Uint8Array(pool.memory, slot * pool.slotBytes, WIDTH * HEIGHT * 3);
  for (let i = 0; i < view.length; i++) view[i] = (i * 7919) % 251;
  return host.detect(slot, WIDTH, HEIGHT, FRAME);
}

const hosts: DetectorHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
});

// Terminating a worker thread while ONNX Runtime is inside a run aborts the whole process (and with it this test
// file), so each of these passes only if the run is let finish.
describe('detector host with ONNX Runtime models', () => {
  it('closing during a detection lets the run finish and the process live', async () => {
    // Thorough plate search on a 720p frame: CenterNet on the image and its tiles, then text at 1280 px, most of
    // it inside ONNX Runtime runs (≈ 600 ms here), so 30 ms in a run is under way.
    const host = profileHost('thorough', 30_000);
    hosts.push(host);
    await host.start();
    const outcome = detectOnFrame(host);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = performance.now();
    await host.close();
    const closedAfter = performance.now() - started;
    expect(await outcome).toEqual({ ok: false, reason: 'unavailable' });
    // Close waited for the detection in flight (it did not cut it short), and no longer than its grace.
    expect(closedAfter).toBeGreaterThan(50);
    expect(closedAfter).toBeLessThan(10_000);
  }, 60_000);

  it('a detection past the stall limit fails closed and a new worker takes over while the old run finishes', async () => {
    // A live detection of a 720p frame: FaceBoxes ≈ 60 ms, then one PP-OCR run ≈ 150 ms here; 100 ms in, the
    // text model is running, where terminating the worker used to abort the process.
    const host = profileHost('live', 100);
    hosts.push(host);
    await host.start();
    expect(await detectOnFrame(host)).toEqual({ ok: false, reason: 'stalled' });
    expect(host.stats).toMatchObject({ stalls: 1, restarts: 1 });
    // Long enough for the replaced worker's run to end; the process (this test file) is still here.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(host.available).toBe(true);
  }, 60_000);
});
