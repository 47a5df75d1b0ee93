import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../access/security-fixtures.js';
import { lumaOf, openLiveHarness, segmentsOf, sidecarOf, streamTypes, waitFor, type LiveHarness } from './camera-fixtures.js';
import { RtspTestServer, testPattern } from './rtsp-harness.js';

const WITH_AUDIO = `${testPattern(320, 240, 'smpte')} audiotestsrc is-live=true ! audioconvert ! opusenc ! rtpopuspay name=pay1 pt=97`;
/** Upper-left quarter of the frame, as fractions. */
const MASK: [number, number][] = [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]];

describe('live cameras over RTSP: steady streaming', () => {
  let rtsp: RtspTestServer;
  let dir: string;
  let live: LiveHarness;
  let preview: Buffer | undefined;

  beforeAll(async () => {
    rtsp = await RtspTestServer.start({ '/masked': WITH_AUDIO, '/voice': WITH_AUDIO });
    dir = tempDir('pgw-live-');
    live = await openLiveHarness(dir, [
      { id: 'masked', source: rtsp.url('/masked'), profile: 'none', masks: [MASK] },
      { id: 'voice', source: rtsp.url('/voice'), profile: 'none', audio: { enabled: true, justification: 'Noise complaints at the depot need sound levels as evidence' } },
    ], { previewFps: 2 });
    await waitFor('two finished segments per camera', () => segmentsOf(dir, 'masked').length >= 2 && segmentsOf(dir, 'voice').length >= 2, 40_000);
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
      for (const { originalId } of originals) expect(live.stack.security.vault.get(originalId)?.cameraId).toBe('masked');
    }
    const keys = live.outbox.filter((item) => item.group === 'masked').map((item) => item.kind);
    expect(keys.filter((kind) => kind === 'segment').length).toBe(segments.length);
    expect(keys.filter((kind) => kind === 'sidecar').length).toBe(segments.length);
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
