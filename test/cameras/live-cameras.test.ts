import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CameraStatus } from '../../src/shared/types.js';
import type { DetectorSpec } from '../../src/vision/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../access/security-fixtures.js';
import { lumaOf, openLiveHarness, segmentsOf, sidecarOf, streamTypes, waitFor, type LiveHarness } from './camera-fixtures.js';
import { RtspTestServer, testPattern } from './rtsp-harness.js';

const SCRIPTED: DetectorSpec = { kind: 'module', module: resolve('test/pipeline/fixtures/scripted-detector.ts'), options: { objects: [{ x0: 200, y0: 150, vx: 0, vy: 0, size: 40 }] } };
const WITH_AUDIO = `${testPattern(320, 240, 'smpte')} audiotestsrc is-live=true ! audioconvert ! opusenc ! rtpopuspay name=pay1 pt=97`;
/** Upper-left quarter of the frame, as fractions. */
const MASK: [number, number][] = [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]];

describe('live cameras over RTSP: steady streaming', () => {
  let rtsp: RtspTestServer;
  let dir: string;
  let live: LiveHarness;
  let preview: Buffer | undefined;
  let facesStatus: CameraStatus;
  let metrics: string;
  let cameraProcesses: { pid: number; pgid: number }[];

  /** Camera processes forked by this test process, with their process groups. */
  function childCameras(): { pid: number; pgid: number }[] {
    return execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,args='])
      .toString().trim().split('\n')
      .map((row) => row.trim().split(/\s+/, 4))
      .filter(([, ppid, , args]) => Number(ppid) === process.pid && (args ?? '').includes('node'))
      .map(([pid, , pgid]) => ({ pid: Number(pid), pgid: Number(pgid) }));
  }

  beforeAll(async () => {
    rtsp = await RtspTestServer.start({ '/masked': WITH_AUDIO, '/voice': WITH_AUDIO, '/faces': testPattern(320, 240) });
    dir = tempDir('pgw-live-');
    live = await openLiveHarness(dir, [
      { id: 'masked', source: rtsp.url('/masked'), profile: 'none', masks: [MASK] },
      { id: 'voice', source: rtsp.url('/voice'), profile: 'none', audio: { enabled: true, justification: 'Noise complaints at the depot need sound levels as evidence' } },
      { id: 'faces', source: rtsp.url('/faces'), profile: 'live' },
    ], { previewFps: 2, detectorFor: (camera) => (camera.profile === 'none' ? { kind: 'none' } : SCRIPTED) });
    await waitFor('three finished segments per camera', () => ['masked', 'voice', 'faces'].every((id) => segmentsOf(dir, id).length >= 3), 40_000);
    cameraProcesses = childCameras();
    facesStatus = live.cameras.status('faces');
    metrics = await live.registry.metrics();
    preview = live.cameras.previews.last('masked');
    await live.cameras.stop();
  }, 60_000);

  afterAll(async () => {
    await live.close();
    await rtsp.close();
    removeDir(dir);
  });

  it('writes 2 s segments with sidecars that describe them and name their originals in the vault', () => {
    const segments = segmentsOf(dir, 'masked');
    // Each camera process's report of a segment is dropped once its sidecar is written and enqueued.
    expect(readdirSync(join(dir, 'spool', 'masked')).filter((name) => !/\.(mp4|json)$/.test(name))).toEqual([]);
    for (const path of segments.slice(0, -1)) {
      const sidecar = sidecarOf(path);
      expect(sidecar.camera).toBe('masked');
      expect(sidecar.frameCount).toBe(50);
      expect(Date.parse(sidecar.end as string) - Date.parse(sidecar.start as string)).toBe(2000);
      expect((sidecar.file as { sha256: string }).sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
      expect(sidecar.failClosedFrames).toBe(0);
      expect(sidecar.privacyMasks).toBe(1);
      expect(sidecar.detector).toEqual({ id: 'none', models: [] });
      const originals = sidecar.originals as { originalId: string }[];
      expect(originals.length).toBeGreaterThan(0);
      for (const { originalId } of originals) {
        // the camera's masks go with its originals, so unredacted exports keep them on (A6)
        expect(live.stack.security.vault.get(originalId)).toMatchObject({ cameraId: 'masked', privacyMasks: [MASK] });
      }
    }
    const starts = segments.map((path) => Date.parse(sidecarOf(path).start as string));
    expect(starts.slice(1).map((start, i) => start - (starts[i] as number))).toEqual(starts.slice(1).map(() => 2000));
    const keys = live.outbox.filter((item) => item.group === 'masked').map((item) => item.kind);
    expect(keys.filter((kind) => kind === 'segment').length).toBe(segments.length);
    expect(keys.filter((kind) => kind === 'sidecar').length).toBe(segments.length);
  });

  it('runs each camera in its own process group, so a terminal Ctrl-C reaches the gateway alone and it stops them in order', () => {
    expect(cameraProcesses).toHaveLength(3);
    const ownGroup = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)]).toString().trim());
    for (const camera of cameraProcesses) {
      expect(camera.pgid).toBe(camera.pid);
      expect(camera.pgid).not.toBe(ownGroup);
    }
  });

  it('blacks out the privacy mask on every frame of every segment (A6)', () => {
    let frames = 0;
    for (const path of segmentsOf(dir, 'masked')) {
      const masked = lumaOf(path, { x: 8, y: 8, w: 144, h: 104 });
      expect(masked.max).toBeLessThanOrEqual(24);
      frames += masked.frames;
      // Outside the mask the colour bars are still there.
      expect(lumaOf(path, { x: 168, y: 8, w: 144, h: 104 }).max).toBeGreaterThan(100);
    }
    expect(frames).toBeGreaterThanOrEqual(100);
  });

  it('runs the camera’s detector in its process: analysed frames, regions in the sidecar, latency metrics', () => {
    expect(facesStatus.analysedFps).toBeGreaterThan(0);
    const sidecar = sidecarOf(segmentsOf(dir, 'faces')[0] as string);
    expect(sidecar.detector).toEqual({ id: 'scripted', models: [] });
    expect((sidecar.regionsPerClass as Record<string, number>).face).toBeGreaterThan(0);
    expect(metrics).toMatch(/pgw_camera_detector_latency_seconds_count\{camera="faces"\} [1-9]/);
    expect(metrics).toMatch(/pgw_camera_frame_latency_seconds_count\{camera="masked"\} [1-9]/);
    expect(metrics).toMatch(/pgw_camera_frames_total\{camera="masked",stage="output"\} [1-9]/);
  });

  it('serves a preview of the redacted frames only: the mask is black in it too', () => {
    expect(preview?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const path = join(dir, 'preview.jpg');
    writeFileSync(path, preview ?? Buffer.alloc(0));
    expect(lumaOf(path, { x: 8, y: 8, w: 144, h: 104 }).max).toBeLessThanOrEqual(24);
    expect(lumaOf(path, { x: 168, y: 8, w: 144, h: 104 }).max).toBeGreaterThan(100);
  });

  it('keeps audio out of redacted segments always, and out of originals unless enabled with a justification (A5)', async () => {
    for (const camera of ['masked', 'voice']) for (const path of segmentsOf(dir, camera)) expect(streamTypes(path)).toEqual(['video']);
    const originalOf = async (camera: string) => {
      const [first] = sidecarOf(segmentsOf(dir, camera)[0] as string).originals as { originalId: string }[];
      return live.stack.security.vault.open(first?.originalId ?? '', { actor: 'test' });
    };
    expect(streamTypes(await originalOf('masked'), dir)).toEqual(['video']);
    expect(streamTypes(await originalOf('voice'), dir).sort()).toEqual(['audio', 'video']);
  });
});
