import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { FileKeyProvider } from '../../src/vault/key-provider.js';
import { noncePrefixOf } from '../../src/vault/segment-cipher.js';
import { openTestStack, removeDir, tempDir, type TestStack } from '../access/security-fixtures.js';

describe('vault: authenticated per-segment encryption', () => {
  let dir: string;
  let stack: TestStack;
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12));

  beforeEach(async () => {
    dir = tempDir();
    stack = await openTestStack(dir, clock, { vault: { chunkBytes: 4096 } });
  });
  afterEach(() => {
    stack.close();
    removeDir(dir);
  });

  const segment = (n: number, data = Buffer.from(`original-${n}-`.repeat(1000))) => ({
    segmentId: `seg-${n}`, cameraId: 'cam-1', startMs: Date.UTC(2026, 2, 1, 10) + n * 10_000, endMs: Date.UTC(2026, 2, 1, 10) + n * 10_000 + 9_999, container: 'mp4', data,
  });
  const row = (originalId: string) => stack.security.vault.get(originalId)!;
  const filePath = (originalId: string) => join(dir, 'vault', row(originalId).path);
  const integrityFailures = () => stack.security.audit.query({ action: 'vault.integrity_failure', limit: 100 }).records;

  it('round-trips and records the SHA-256 of the plaintext at ingest', async () => {
    const seg = segment(1);
    const { originalId, sha256 } = await stack.security.vault.store(seg);
    expect(sha256).toBe(createHash('sha256').update(seg.data).digest('hex'));
    expect(originalId).toMatch(/^[0-9a-f]{32}$/);
    const plain = await stack.security.vault.open(originalId, { actor: 'test' });
    expect(plain.equals(seg.data)).toBe(true);
    expect(readFileSync(filePath(originalId)).includes(Buffer.from('original-1-'))).toBe(false);
  });

  it('stores a segment once: the same id and bytes again return the stored original, other bytes are refused', async () => {
    const seg = segment(7);
    const first = await stack.security.vault.store(seg);
    expect(await stack.security.vault.store(seg)).toEqual(first);
    await expect(stack.security.vault.store({ ...seg, data: Buffer.from('other bytes') })).rejects.toMatchObject({ code: 'PGW_ERR_CONFLICT' });
    expect(stack.security.vault.find([seg.cameraId], seg.startMs, seg.endMs).filter((o) => o.segmentId === seg.segmentId)).toHaveLength(1);
    // An erased original is not brought back by storing its bytes again.
    stack.security.vault.shred(first.originalId, { actor: 'system:retention' });
    await expect(stack.security.vault.store(seg)).rejects.toThrow(`segment ${seg.segmentId} already has an original, since erased, in the vault`);
  });

  // B2: a bit flip anywhere (header, ciphertext, tag), in the bound metadata, or swapped files fails loudly and is audited.
  it.each([
    ['header nonce prefix', (f: Buffer) => { f[10]! ^= 0x01; }],
    ['first ciphertext byte', (f: Buffer) => { f[16]! ^= 0x80; }],
    ['middle ciphertext byte', (f: Buffer) => { f[Math.floor(f.length / 2)]! ^= 0x04; }],
    ['last tag byte', (f: Buffer) => { f[f.length - 1]! ^= 0x01; }],
  ])('B2: flipping a bit of the %s fails decryption without plaintext', async (_name, flip) => {
    const { originalId } = await stack.security.vault.store(segment(2));
    const file = readFileSync(filePath(originalId));
    flip(file);
    writeFileSync(filePath(originalId), file);
    await expect(stack.security.vault.open(originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_INTEGRITY' });
    expect(integrityFailures()).toHaveLength(1);
    expect(integrityFailures()[0]!.object).toBe(`original:${originalId}`);
  });

  it.each([
    ['segment id', "segment_id = 'seg-other'"],
    ['camera', "camera_id = 'cam-2'"],
    ['start time', 'start_ms = start_ms + 1'],
    ['end time', 'end_ms = end_ms - 1'],
  ])('B2: changing the bound %s in the catalog fails decryption', async (_name, change) => {
    const { originalId } = await stack.security.vault.store(segment(3));
    stack.db.prepare(`UPDATE vault_originals SET ${change} WHERE original_id = ?`).run(originalId);
    await expect(stack.security.vault.open(originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_INTEGRITY' });
    expect(integrityFailures()).toHaveLength(1);
  });

  it('B2: swapping two segments\' ciphertexts, or their wrapped keys, fails for both', async () => {
    const a = await stack.security.vault.store(segment(4));
    const b = await stack.security.vault.store(segment(5));
    const fileA = readFileSync(filePath(a.originalId));
    writeFileSync(filePath(a.originalId), readFileSync(filePath(b.originalId)));
    writeFileSync(filePath(b.originalId), fileA);
    await expect(stack.security.vault.open(a.originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_INTEGRITY' });
    await expect(stack.security.vault.open(b.originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_INTEGRITY' });
    const c = await stack.security.vault.store(segment(6));
    const d = await stack.security.vault.store(segment(7));
    const keyC = row(c.originalId).wrappedDek;
    stack.db.prepare('UPDATE vault_originals SET wrapped_dek = ? WHERE original_id = ?').run(row(d.originalId).wrappedDek, c.originalId);
    stack.db.prepare('UPDATE vault_originals SET wrapped_dek = ? WHERE original_id = ?').run(keyC, d.originalId);
    await expect(stack.security.vault.open(c.originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_INTEGRITY' });
    expect(integrityFailures()).toHaveLength(3);
  });

  it('B2: truncating the file at a chunk boundary fails (last-chunk flag)', async () => {
    const { originalId } = await stack.security.vault.store(segment(8, Buffer.alloc(3 * 4096 + 100, 7)));
    const file = readFileSync(filePath(originalId));
    writeFileSync(filePath(originalId), file.subarray(0, 16 + 2 * (4096 + 16)));
    await expect(stack.security.vault.open(originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_INTEGRITY' });
  });

  it('B3: no (data key, nonce) pair repeats, across restarts', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 20; n++) ids.push((await stack.security.vault.store(segment(100 + n, Buffer.alloc(3 * 4096, n)))).originalId);
    stack.close();
    stack = await openTestStack(dir, clock, { vault: { chunkBytes: 4096 } });
    // the same segment content stored again after the restart gets a fresh key and nonces
    for (let n = 0; n < 20; n++) ids.push((await stack.security.vault.store(segment(200 + n, Buffer.alloc(3 * 4096, n)))).originalId);
    const seenPairs = new Set<string>();
    const wrapNonces = new Set<string>();
    for (const originalId of ids) {
      const record = row(originalId);
      wrapNonces.add(record.wrappedDek!.subarray(0, 12).toString('hex'));
      const dek = (await new FileKeyProvider(join(dir, 'keys')).unwrap(record.kekId!, record.wrappedDek!, Buffer.from(originalId))).toString('hex');
      const plain = await stack.security.vault.open(originalId, { actor: 'test' });
      expect(plain.length).toBe(3 * 4096);
      const prefix = noncePrefixOf(readFileSync(filePath(originalId))).toString('hex');
      for (let chunk = 0; chunk < 3; chunk++) {
        const pair = `${dek}|${prefix}|${chunk}`;
        expect(seenPairs.has(pair)).toBe(false);
        seenPairs.add(pair);
      }
    }
    expect(new Set(ids.map((id) => row(id).wrappedDek!.toString('hex'))).size).toBe(ids.length);
    expect(wrapNonces.size).toBe(ids.length);
  });

  it('B4: one second before expiry the original decrypts; after the shred its key is gone everywhere and decryption fails', async () => {
    const ttlMs = 72 * 3_600_000;
    const seg = segment(9);
    const { originalId } = await stack.security.vault.store(seg);
    const wrapped = row(originalId).wrappedDek!;
    const expiresAt = seg.endMs + ttlMs;
    clock.setWall(expiresAt - 1000);
    const expiredNow = (id: string) => clock.now() >= row(id).endMs + ttlMs;
    expect(expiredNow(originalId)).toBe(false);
    expect((await stack.security.vault.open(originalId, { actor: 'test' })).equals(seg.data)).toBe(true);
    clock.setWall(expiresAt);
    expect(expiredNow(originalId)).toBe(true);
    expect(stack.security.vault.shred(originalId, { actor: 'system:retention' })).toBe(true);
    expect(row(originalId).wrappedDek).toBeNull();
    expect(existsSync(join(dir, 'vault', row(originalId).path))).toBe(false);
    await expect(stack.security.vault.open(originalId, { actor: 'test' })).rejects.toMatchObject({ code: 'PGW_ERR_VAULT_KEY_DESTROYED' });
    for (const file of ['catalog.db', 'catalog.db-wal']) {
      const path = join(dir, file);
      if (existsSync(path)) expect(readFileSync(path).includes(wrapped)).toBe(false);
    }
    const shredRecords = stack.security.audit.query({ action: 'vault.shred', limit: 10 }).records;
    expect(shredRecords.map((r) => r.object)).toEqual([`original:${originalId}`]);
    expect(stack.security.vault.shred(originalId, { actor: 'system:retention' })).toBe(false);
  });
});
