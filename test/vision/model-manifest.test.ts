import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadModelManifest, loadVerifiedModel } from '../../src/vision/models/model-manifest.js';
import { createProfileDetector } from '../../src/vision/profiles/index.js';

const MODELS_DIR = 'models';
const dirs: string[] = [];

/** A copy of the committed models folder holding only the manifest and the files of `ids`. */
async function modelsCopy(ids: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pgw-models-'));
  dirs.push(dir);
  const manifest = await loadModelManifest(MODELS_DIR);
  await copyFile(path.join(MODELS_DIR, 'manifest.json'), path.join(dir, 'manifest.json'));
  for (const entry of manifest.models.filter((m) => ids.includes(m.id))) {
    for (const file of entry.files) await copyFile(path.join(MODELS_DIR, file.name), path.join(dir, file.name));
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('model manifest', () => {
  it('lists every committed model with licence, source and hashes that match the files', async () => {
    const manifest = await loadModelManifest(MODELS_DIR);
    expect(manifest.models.map((m) => m.id)).toEqual(expect.arrayContaining(['ssd-mobilenetv1-face', 'faceboxes-onnx', 'centernet-onnx', 'ppocr-v4-det']));
    for (const entry of manifest.models) {
      expect(entry.licence).not.toBe('');
      const model = await loadVerifiedModel(MODELS_DIR, entry.id, manifest);
      expect(model.info.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('rejects a model file whose bytes were altered, naming the file', async () => {
    const dir = await modelsCopy(['ppocr-v4-det']);
    const file = path.join(dir, 'ppocr-v4-det-folded.onnx');
    const bytes = await readFile(file);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    await expect(loadVerifiedModel(dir, 'ppocr-v4-det')).rejects.toMatchObject({
      code: 'PGW_ERR_MODEL_INTEGRITY',
      context: { file: 'ppocr-v4-det-folded.onnx' },
    });
  });

  it('reports a missing model file as PGW_ERR_MODEL_MISSING', async () => {
    const dir = await modelsCopy([]);
    await expect(loadVerifiedModel(dir, 'centernet-coco')).rejects.toMatchObject({ code: 'PGW_ERR_MODEL_MISSING', context: { model: 'centernet-coco' } });
  });

  it('reports a model absent from the manifest and a missing manifest', async () => {
    await expect(loadVerifiedModel(MODELS_DIR, 'no-such-model')).rejects.toMatchObject({ code: 'PGW_ERR_MODEL_MISSING' });
    const empty = await mkdtemp(path.join(tmpdir(), 'pgw-models-'));
    dirs.push(empty);
    await expect(loadModelManifest(empty)).rejects.toMatchObject({ code: 'PGW_ERR_MODEL_MISSING' });
  });

  it('fails detector startup when a model the profile needs is altered', async () => {
    const dir = await modelsCopy(['ppocr-v4-det', 'centernet-onnx', 'ssd-mobilenetv1-face']);
    await writeFile(path.join(dir, 'centernet.onnx'), 'not the weights');
    await expect(createProfileDetector('thorough', { modelsDir: dir, classes: ['plate'] })).rejects.toMatchObject({ code: 'PGW_ERR_MODEL_INTEGRITY' });
  });

  it('loads a profile from a models folder on local disk and reports the verified model ids', async () => {
    const dir = await modelsCopy(['ppocr-v4-det']);
    const fetchSpy = vi.fn(() => Promise.reject(new Error('network access during model load')));
    vi.stubGlobal('fetch', fetchSpy);
    const detector = await createProfileDetector('live', { modelsDir: dir, classes: ['plate'] }).finally(() => vi.unstubAllGlobals());
    expect(fetchSpy).not.toHaveBeenCalled();
    try {
      expect(detector.models.map((m) => m.id)).toEqual(['ppocr-v4-det']);
      const image = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) };
      await expect(detector.detect(image, { index: 0, ptsMs: 0, sourceWidth: 64, sourceHeight: 48 })).resolves.toEqual([]);
    } finally {
      await detector.dispose();
    }
  });
});
