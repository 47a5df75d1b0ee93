import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentPublisher } from '../../src/cameras/segment-publisher.js';
import { cameraSchema } from '../../src/config/sections/cameras.js';
import type { FinishedSegment } from '../../src/pipeline/camera-protocol.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { OriginalSegment, OriginalsPort, OutboxItem } from '../../src/shared/ports.js';
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
  const originals: OriginalsPort = {
    store: async (segment) => { stored.push({ ...segment, data: Buffer.from(segment.data) }); return { originalId: `o${stored.length}`, sha256: 'h' }; },
    overlapping: (cameraId, fromMs, toMs) => stored.flatMap((o, i) => (o.cameraId === cameraId && o.startMs < toMs && o.endMs > fromMs ? [{ originalId: `o${i + 1}`, sha256: 'h', startMs: o.startMs, endMs: o.endMs }] : [])),
  };
  const publisher = new SegmentPublisher({
    originals,
    outbox: { enqueue: (item) => outbox.push(item) }, pressure: { acceptingOriginals: () => accepting },
    clock, logger: silentLogger(), maxWaitMs: 25_000,
  });
  const segment = (startMs: number, endMs: number): FinishedSegment => {
    const path = join(dir, `cam-${startMs}.mp4`);
    writeFileSync(path, 'video');
    return { segmentId: `cam-${startMs}`, path, sha256: 'abc', bytes: 5, startMs, endMs, frames: 250, failClosedFrames: 0, regionsPerClass: { face: 3 }, masks: 0, width: 64, height: 48, fps: 25, detector: { id: 'none', models: [] } };
  };
  return { dir, publisher, originals, stored, outbox, clock, segment };
}

/** What a camera process leaves when the gateway dies after the move into the spool: the segment and its report. */
function leaveReport(segment: FinishedSegment): string {
  const report = segment.path.replace(/\.mp4$/, '.pending');
  writeFileSync(report, JSON.stringify(segment));
  return report;
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

  it('drops the camera process\'s report of a segment once its sidecar is written and enqueued', async () => {
    const { publisher, outbox, segment } = setup(true);
    const finished = segment(0, 10_000);
    const report = leaveReport(finished);
    await publisher.original('cam', { sequence: 0, startMs: 0, endMs: 10_000, data: Buffer.from('o') });
    publisher.segment(camera, finished);
    expect(outbox.map((item) => item.kind)).toEqual(['segment', 'sidecar']);
    expect(existsSync(report)).toBe(false);
    publisher.close();
  });

  it('publishes at the next start a segment whose gateway died before its sidecar, with the originals from the vault', async () => {
    const first = setup(true);
    await first.publisher.original('cam', { sequence: 0, startMs: 0, endMs: 6000, data: Buffer.from('first') });
    await first.publisher.original('cam', { sequence: 1, startMs: 6000, endMs: 12_000, data: Buffer.from('second') });
    await first.publisher.original('cam', { sequence: 2, startMs: 12_000, endMs: 18_000, data: Buffer.from('later') });
    const finished = first.segment(0, 10_000);
    const report = leaveReport(finished);
    const stranded = first.segment(20_000, 30_000);
    rmSync(stranded.path);
    const strandedReport = leaveReport(stranded);
    // The next start: a new publisher over the same spool and vault.
    const second = new SegmentPublisher({ originals: first.originals, outbox: { enqueue: (item) => first.outbox.push(item) }, clock: first.clock, logger: silentLogger(), maxWaitMs: 25_000 });
    expect(second.recover(camera, first.dir)).toBe(1);
    expect(first.outbox.map((item) => [item.kind, item.key])).toEqual([['segment', 'cam-0:abc'], ['sidecar', 'cam-0.json:abc']]);
    const sidecar = JSON.parse(readFileSync(join(first.dir, 'cam-0.json'), 'utf8')) as { originals: { originalId: string }[]; originalsComplete: boolean; regionsPerClass: Record<string, number>; frameCount: number };
    expect(sidecar).toMatchObject({ originalsComplete: true, regionsPerClass: { face: 3 }, frameCount: 250 });
    expect(sidecar.originals.map((o) => o.originalId)).toEqual(['o1', 'o2']);
    expect(first.outbox[1]?.body).toEqual(sidecar);
    expect([existsSync(report), existsSync(strandedReport)]).toEqual([false, false]);
    expect(second.recover(camera, first.dir)).toBe(0);
    second.close();
    first.publisher.close();
  });

  it('keeps a report it could not publish (an unreadable sidecar) for the next start, and publishes the others', () => {
    const { dir, publisher, originals, outbox, clock, segment } = setup(true);
    const broken = leaveReport(segment(0, 10_000));
    writeFileSync(join(dir, 'cam-0.json'), '{ half written');
    leaveReport(segment(10_000, 20_000));
    const restarted = new SegmentPublisher({ originals, outbox: { enqueue: (item) => outbox.push(item) }, clock, logger: silentLogger(), maxWaitMs: 25_000 });
    expect(restarted.recover(camera, dir)).toBe(1);
    expect(outbox.map((item) => item.key)).toEqual(['cam-10000:abc', 'cam-10000.json:abc']);
    expect(existsSync(broken)).toBe(true);
    restarted.close();
    publisher.close();
  });

  it('enqueues again, without rewriting it, a sidecar written just before the gateway died', () => {
    const { dir, publisher, originals, outbox, clock, segment } = setup(true);
    const finished = segment(0, 10_000);
    leaveReport(finished);
    writeFileSync(join(dir, 'cam-0.json'), JSON.stringify({ written: 'before the crash' }));
    const restarted = new SegmentPublisher({ originals, outbox: { enqueue: (item) => outbox.push(item) }, clock, logger: silentLogger(), maxWaitMs: 25_000 });
    expect(restarted.recover(camera, dir)).toBe(1);
    expect(outbox.map((item) => item.kind)).toEqual(['segment', 'sidecar']);
    expect(outbox[1]?.body).toEqual({ written: 'before the crash' });
    expect(readFileSync(join(dir, 'cam-0.json'), 'utf8')).toBe(JSON.stringify({ written: 'before the crash' }));
    restarted.close();
    publisher.close();
  });
});
