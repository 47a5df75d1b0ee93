import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DetectorSpec } from '../../src/vision/registry.js';
import { removeDir, tempDir } from '../access/security-fixtures.js';
import { lumaOf, openLiveHarness, segmentsOf, sidecarOf, waitFor, type LiveHarness } from './camera-fixtures.js';

const STALLING: DetectorSpec = { kind: 'module', module: resolve('test/pipeline/fixtures/scripted-detector.ts'), options: { stallFrom: 3 } };

let harness: LiveHarness | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await harness?.close();
  if (dataDir) removeDir(dataDir);
  harness = undefined;
});

describe('live camera fail closed (A1)', () => {
  it('a stalled detector: frames are redacted whole, counted in the status, and the audit log records it', async () => {
    dataDir = tempDir('pgw-failclosed-');
    harness = await openLiveHarness(dataDir, [{ id: 'gate-1', source: 'testsrc:320x240@10' }], { detectorFor: () => STALLING });
    const live = harness;
    await waitFor('fail-closed frames in the camera status', () => live.cameras.status('gate-1').failClosedFrames > 0, 45_000);
    await waitFor('a fail-closed audit record', () => live.stack.security.audit.query({ action: 'pipeline.failclosed', limit: 10 }).records.length > 0, 10_000);
    const [record] = live.stack.security.audit.query({ action: 'pipeline.failclosed', limit: 10 }).records;
    expect(record).toMatchObject({ actor: 'system:pipeline', object: 'camera:gate-1', outcome: 'failure' });
    expect(live.stack.security.audit.verify().ok).toBe(true);
    const dir = dataDir;
    const wholeSegment = (path: string): boolean => {
      if (!existsSync(path.replace(/\.mp4$/, '.json'))) return false;
      const sidecar = sidecarOf(path);
      return Number(sidecar.frameCount) > 0 && sidecar.failClosedFrames === sidecar.frameCount;
    };
    await waitFor('a segment redacted whole', () => segmentsOf(dir, 'gate-1').some(wholeSegment), 30_000);
    const segment = segmentsOf(dir, 'gate-1').find(wholeSegment) as string;
    const luma = lumaOf(segment, { x: 0, y: 0, w: 320, h: 240 });
    expect(luma.frames).toBe(sidecarOf(segment).frameCount);
    expect(luma.max).toBeLessThan(24);
  }, 120_000);
});
