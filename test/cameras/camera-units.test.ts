import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Fmp4Cutter, type CutOriginal } from '../../src/pipeline/fmp4-cutter.js';
import { nextAttempt, reconnectDelayMs } from '../../src/pipeline/reconnect-backoff.js';
import { PrivacyMask } from '../../src/redact/privacy-mask.js';
import { makeClip } from '../access/security-fixtures.js';

describe('reconnect backoff', () => {
  const policy = { minMs: 1000, maxMs: 30_000 };
  it.each([
    [0, 0, 500], [0, 0.999_999, 1000], [1, 0, 1000], [3, 0.5, 6000], [4, 1 - 1e-9, 16_000], [5, 0, 15_000], [20, 0.5, 22_500],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(reconnectDelayMs(attempt, policy, random)).toBe(expected);
  });
  it('starts over after a stable run', () => {
    expect(nextAttempt(4, 29_999, 30_000)).toBe(5);
    expect(nextAttempt(4, 30_000, 30_000)).toBe(0);
  });
});

describe('privacy mask', () => {
  function frame(width: number, height: number): { data: Uint8Array; width: number; height: number } {
    return { data: new Uint8Array(width * height * 1.5).fill(200), width, height };
  }
  it('covers exactly the polygon’s pixel centres in luma and chroma', () => {
    const mask = new PrivacyMask([[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]], 16, 8);
    const f = frame(16, 8);
    mask.apply(f);
    expect(mask.coveredPixels).toBe(32);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) expect(f.data[y * 16 + x]).toBe(x < 8 && y < 4 ? 16 : 200);
    const u = 16 * 8;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) expect(f.data[u + y * 8 + x]).toBe(x < 4 && y < 2 ? 128 : 200);
  });
  it('fills a triangle and leaves an empty mask list a no-op', () => {
    const triangle = new PrivacyMask([[[0, 0], [1, 0], [0, 1]]], 100, 100);
    expect(triangle.coveredPixels).toBeGreaterThan(4900);
    expect(triangle.coveredPixels).toBeLessThan(5100);
    const none = new PrivacyMask([], 10, 10);
    const f = frame(10, 10);
    none.apply(f);
    expect(none.empty).toBe(true);
    expect(f.data.every((v) => v === 200)).toBe(true);
  });
  it('refuses a frame of another size instead of masking the wrong pixels', () => {
    expect(() => new PrivacyMask([[[0, 0], [1, 0], [0, 1]]], 10, 10).apply(frame(12, 10))).toThrow(RangeError);
  });
});

describe('fragmented MP4 cutter', () => {
  it('cuts at fragment boundaries into originals that each play on their own', () => {
    const clip = makeClip(4);
    let now = 0;
    const originals: CutOriginal[] = [];
    const cutter = new Fmp4Cutter({ targetMs: 1500, now: () => now, onOriginal: (original) => originals.push(original) });
    for (let offset = 0; offset < clip.length; offset += 777) {
      now += 50;
      cutter.push(clip.subarray(offset, offset + 777));
    }
    cutter.end();
    expect(originals.length).toBeGreaterThanOrEqual(2);
    let frames = 0;
    for (const original of originals) {
      expect(original.data.subarray(4, 8).toString('latin1')).toBe('ftyp');
      const count = execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', 'pipe:0'], { input: original.data });
      frames += Number(count.toString().trim());
    }
    expect(frames).toBe(40);
    expect(originals.map((o) => o.sequence)).toEqual(originals.map((_o, i) => i));
  });

  it('cuts on a fixed grid, so originals keep step with segments however keyframes jitter', () => {
    const clip = makeClip(16);
    // One fragment a second, alternately 40 ms late and early. Cutting "3 s after the last cut" would wait for a
    // fourth fragment whenever three spanned 2.92 s, and fall a further second behind each time.
    let fragment = -1;
    const now = (): number => {
      fragment += 1;
      return fragment === 0 ? 0 : 1000 * fragment + (fragment % 2 === 1 ? 40 : -40);
    };
    const originals: CutOriginal[] = [];
    const cutter = new Fmp4Cutter({ targetMs: 3000, now, onOriginal: (original) => originals.push(original) });
    cutter.push(clip);
    cutter.end();
    const cuts = originals.slice(0, -1).map((original) => original.endMs);
    expect(cuts).toHaveLength(5);
    cuts.forEach((end, i) => {
      expect(end - 3000 * (i + 1)).toBeGreaterThanOrEqual(0);
      expect(end - 3000 * (i + 1)).toBeLessThanOrEqual(1040);
    });
  });
});
