import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpoolRetentionSource } from '../../src/retention/spool-source.js';
import { tempDataDir, writeSpoolSegment } from './helpers.js';

const T0 = Date.UTC(2026, 2, 1, 8);

describe('spool retention source', () => {
  it('dates segments and sidecars from the sidecar, with camera and kind', async () => {
    const root = join(tempDataDir(), 'spool');
    writeSpoolSegment(root, 'bw-7', 'a', T0);
    const source = new SpoolRetentionSource({ root, cameraKindOf: (camera) => (camera.startsWith('bw-') ? 'body_worn' : 'fixed') });
    const [segment] = await source.list('redacted', T0 + 1);
    expect(segment).toMatchObject({ id: 'bw-7/2026-03-01/a.mp4', dataClass: 'redacted', cameraId: 'bw-7', cameraKind: 'body_worn', recordedAt: T0, recordedUntil: T0 + 10_000 });
    expect(await source.list('metadata', T0 + 1)).toHaveLength(1);
    expect(await source.list('redacted', T0)).toEqual([]);
  });

  it('without a readable sidecar falls back to the mtime, which is never earlier than the recording', async () => {
    const root = join(tempDataDir(), 'spool');
    const { sidecar } = writeSpoolSegment(root, 'cam-a', 'a', T0);
    rmSync(sidecar);
    const torn = writeSpoolSegment(root, 'cam-a', 'b', T0);
    writeFileSync(torn.sidecar, '{"startMs": 17');
    const source = new SpoolRetentionSource({ root });
    const items = await source.list('redacted', Date.now() + 60_000);
    expect(items.map((item) => item.recordedAt)).toEqual([T0 + 10_000, expect.any(Number)]);
    expect(items[1]!.recordedAt).toBeGreaterThan(T0);
  });

  it('erases idempotently and never outside the spool', async () => {
    const root = join(tempDataDir(), 'spool');
    const { segment } = writeSpoolSegment(root, 'cam-a', 'a', T0);
    const source = new SpoolRetentionSource({ root });
    const [item] = await source.list('redacted', T0 + 1);
    await source.erase(item!);
    await source.erase(item!);
    expect(existsSync(segment)).toBe(false);
    await expect(source.erase({ ...item!, location: join(root, '..', 'catalog.db') })).rejects.toMatchObject({ code: 'PGW_ERR_INTERNAL' });
  });
});
