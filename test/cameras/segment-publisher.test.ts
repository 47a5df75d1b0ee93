import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentPublisher } from '../../src/cameras/segment-publisher.js';
import { cameraSchema } from '../../src/config/sections/cameras.js';
import type { FinishedSegment } from '../../src/pipeline/camera-protocol.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { OriginalSegment, OutboxItem } from '../../src/shared/ports.js';
import { removeDir, tempDir } from '../access/security-fixtures.js';

const camera = cameraSchema.parse({ id: 'cam', source: 'testsrc' });
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));

function setup(accepting: boolean) {
  const dir = tempDir('pgw-pub-');
  dirs.push(dir);
  const stored: OriginalSegment[] = [];
  const outbox: OutboxItem[] = [];
  const clock = new ManualClock(1_000_000);
  const publisher = new SegmentPublisher({
    originals: { store: async (segment) => { stored.push({ ...segment, data: Buffer.from(segment.data) }); return { originalId: `o${stored.length}`, sha256: 'h' }; } },
    outbox: { enqueue: (item) => outbox.push(item) }, pressure: { acceptingOriginals: () => accepting },
    clock, logger: silentLogger(), maxWaitMs: 25_000,
  });
  const segment = (startMs: number, endMs: number): FinishedSegment => {
    const path = join(dir, `cam-${startMs}.mp4`);
    writeFileSync(path, 'video');
    return { segmentId: `cam-${startMs}`, path, sha256: 'abc', bytes: 5, startMs, endMs, frames: 250, failClosedFrames: 0, regionsPerClass: { face: 3 }, masks: 0, width: 64, height: 48, fps: 25, detector: { id: 'none', models: [] } };
  };
  return { publisher, stored, outbox, clock, segment };
}

describe('segment publisher', () => {
  it('holds a sidecar until the originals covering its segment are stored, then names them', async () => {
    const { publisher, stored, outbox, segment } = setup(true);
    await publisher.original('cam', { sequence: 0, startMs: 0, endMs: 6000, data: Buffer.from('first') });
    publisher.segment(camera, segment(0, 10_000));
    expect(outbox).toEqual([]);
    await publisher.original('cam', { sequence: 1, startMs: 6000, endMs: 12_000, data: Buffer.from('second') });
    expect(outbox.map((item) => item.kind)).toEqual(['segment', 'sidecar']);
    const sidecar = outbox[1]?.body as { originals: { originalId: string }[]; originalsComplete: boolean; originalsRefused: number };
    expect(sidecar.originals.map((o) => o.originalId)).toEqual(['o1', 'o2']);
    expect(sidecar).toMatchObject({ originalsComplete: true, originalsRefused: 0 });
    expect(stored.map((s) => s.data.toString())).toEqual(['first', 'second']);
    publisher.close();
  });

  it('stores no original while storage is under pressure and says so in the sidecar (H3)', async () => {
    const { publisher, stored, outbox, segment } = setup(false);
    await publisher.original('cam', { sequence: 0, startMs: 0, endMs: 11_000, data: Buffer.from('refused') });
    publisher.segment(camera, segment(0, 10_000));
    expect(stored).toEqual([]);
    expect(outbox[1]?.body).toMatchObject({ originals: [], originalsRefused: 1 });
    publisher.close();
  });

  it('publishes without originals after the wait limit, marked incomplete', () => {
    const { publisher, outbox, clock, segment } = setup(true);
    publisher.segment(camera, segment(0, 10_000));
    clock.advance(25_001);
    publisher.flush(false);
    expect(outbox[1]?.body).toMatchObject({ originals: [], originalsComplete: false });
    publisher.close();
  });
});
