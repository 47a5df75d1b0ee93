import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ModelInfo } from '../detector.js';
import { GatewayError } from '../../shared/errors.js';

const modelFileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a plain file name inside the models directory'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
});

const modelEntrySchema = z.strictObject({
  id: z.string().min(1),
  description: z.string(),
  runtime: z.enum(['face-api', 'tfjs-graph', 'onnx']),
  files: z.array(modelFileSchema).min(1),
  licence: z.string().min(1),
  source: z.strictObject({ package: z.string(), version: z.string(), path: z.string() }),
  inputSize: z.strictObject({ width: z.number().int().positive(), height: z.number().int().positive() }).nullable(),
  classes: z.array(z.enum(['face', 'plate', 'person', 'vehicle', 'head'])).min(1),
});

const manifestSchema = z.strictObject({ version: z.literal(1), models: z.array(modelEntrySchema) });

export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type ModelManifest = z.infer<typeof manifestSchema>;

/** A model whose files were read from disk and matched their manifest hashes; use these bytes, never re-read. */
export interface VerifiedModel {
  readonly entry: ModelEntry;
  /** File name → verified bytes. */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly info: ModelInfo;
}

export const MANIFEST_FILE = 'manifest.json';

async function readOrMissing(filePath: string, context: Record<string, unknown>): Promise<Buffer> {
  try {
    return await readFile(filePath);
  } catch (error) {
    throw new GatewayError('PGW_ERR_MODEL_MISSING', `model file '${filePath}' cannot be read`, context, { cause: error });
  }
}

export async function loadModelManifest(modelsDir: string): Promise<ModelManifest> {
  const manifestPath = path.join(modelsDir, MANIFEST_FILE);
  const raw = await readOrMissing(manifestPath, { modelsDir });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new GatewayError('PGW_ERR_MODEL_INTEGRITY', `model manifest '${manifestPath}' is not valid JSON`, { modelsDir }, { cause: error });
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    throw new GatewayError('PGW_ERR_MODEL_INTEGRITY', `model manifest '${manifestPath}' is invalid: ${z.prettifyError(result.error)}`, { modelsDir });
  }
  return result.data;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The hash of a model is the hash of its files' hashes in manifest order, so one id names one exact set of bytes. */
function combinedHash(entry: ModelEntry): string {
  return sha256(Buffer.from(entry.files.map((file) => `${file.name}:${file.sha256}`).join('\n')));
}

/**
 * Reads every file of model `id` from `modelsDir` and checks size and SHA-256 against the manifest.
 * Throws PGW_ERR_MODEL_MISSING when the model or a file is absent and PGW_ERR_MODEL_INTEGRITY when bytes differ.
 */
export async function loadVerifiedModel(modelsDir: string, id: string, manifest?: ModelManifest): Promise<VerifiedModel> {
  const models = manifest ?? (await loadModelManifest(modelsDir));
  const entry = models.models.find((candidate) => candidate.id === id);
  if (!entry) {
    throw new GatewayError('PGW_ERR_MODEL_MISSING', `model '${id}' is not listed in ${path.join(modelsDir, MANIFEST_FILE)}`, { modelsDir, model: id });
  }
  const files = new Map<string, Buffer>();
  for (const file of entry.files) {
    const filePath = path.join(modelsDir, file.name);
    const bytes = await readOrMissing(filePath, { modelsDir, model: id, file: file.name });
    const actual = sha256(bytes);
    if (bytes.length !== file.bytes || actual !== file.sha256) {
      throw new GatewayError(
        'PGW_ERR_MODEL_INTEGRITY',
        `model file '${filePath}' does not match its manifest hash (expected ${file.sha256}, got ${actual})`,
        { modelsDir, model: id, file: file.name, expected: file.sha256, actual },
      );
    }
    files.set(file.name, bytes);
  }
  return { entry, files, info: { id, sha256: combinedHash(entry) } };
}

/** The verified bytes of one file of a model (a programming error if the manifest does not list it). */
export function modelFile(model: VerifiedModel, suffix: string): Buffer {
  for (const [name, bytes] of model.files) {
    if (name.endsWith(suffix)) return bytes;
  }
  throw new GatewayError('PGW_ERR_MODEL_MISSING', `model '${model.entry.id}' has no file ending in '${suffix}'`, { model: model.entry.id });
}
