import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { GatewayError } from '../shared/errors.js';
import { isMissing, unlinkDurably } from './durable-unlink.js';
import type { CameraKind, DataClass, RetainedItem, RetentionSource } from './types.js';

export interface SpoolSourceOptions {
  /** `dataDir/spool`; the first directory level below it is the camera id. */
  root: string;
  /** Camera kind per camera id (from the camera configuration); unknown cameras count as fixed. */
  cameraKindOf?: (cameraId: string) => CameraKind | undefined;
  /** File extensions of redacted segments; `.json` files next to them are their sidecars. */
  segmentExtensions?: readonly string[];
}

interface SidecarTimes {
  recordedAt?: number;
  recordedUntil?: number;
  tags?: string[];
}

const SIDECAR_EXTENSION = '.json';

function timeField(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

async function readSidecar(path: string): Promise<SidecarTimes> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return {};
    throw error;
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A torn or foreign sidecar carries no usable time; the file's mtime (never earlier than the recording) decides.
    return {};
  }
  const recordedAt = timeField(parsed.startMs ?? parsed.start ?? parsed.startedAt);
  const recordedUntil = timeField(parsed.endMs ?? parsed.end ?? parsed.endedAt);
  const tags = Array.isArray(parsed.tags) ? parsed.tags.filter((tag): tag is string => typeof tag === 'string') : undefined;
  return { ...(recordedAt === undefined ? {} : { recordedAt }), ...(recordedUntil === undefined ? {} : { recordedUntil }), ...(tags ? { tags } : {}) };
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Redacted segments (`redacted`) and their JSON sidecars (`metadata`) under the spool. Recording time
 * comes from the sidecar (`startMs`/`start`, `endMs`/`end`); without one, the file's mtime, which is
 * never earlier than the recording, so a missing sidecar can delay a deletion but never advance it.
 * Each item is one file and its unlink is atomic.
 */
export class SpoolRetentionSource implements RetentionSource {
  readonly name = 'spool';
  readonly dataClasses: readonly DataClass[] = ['redacted', 'metadata'];
  private readonly segmentExtensions: readonly string[];

  constructor(private readonly options: SpoolSourceOptions) {
    this.segmentExtensions = options.segmentExtensions ?? ['.mp4'];
  }

  async list(dataClass: DataClass, recordedBefore: number): Promise<readonly RetainedItem[]> {
    const items: RetainedItem[] = [];
    for (const path of await walk(this.options.root)) {
      const itemClass = this.classOf(path);
      if (itemClass !== dataClass) continue;
      const item = await this.describe(path, itemClass);
      if (item && item.recordedAt < recordedBefore) items.push(item);
    }
    return items;
  }

  async erase(item: RetainedItem): Promise<void> {
    const path = item.location ?? join(this.options.root, item.id);
    const inside = relative(this.options.root, path);
    if (inside.startsWith('..') || inside === '') throw new GatewayError('PGW_ERR_INTERNAL', 'spool item lies outside the spool', { itemId: item.id });
    await unlinkDurably(path);
  }

  private classOf(path: string): DataClass | undefined {
    if (path.endsWith(SIDECAR_EXTENSION)) return 'metadata';
    return this.segmentExtensions.some((extension) => path.endsWith(extension)) ? 'redacted' : undefined;
  }

  private async describe(path: string, dataClass: DataClass): Promise<RetainedItem | undefined> {
    const id = relative(this.options.root, path).split(sep).join('/');
    const cameraId = id.includes('/') ? id.slice(0, id.indexOf('/')) : undefined;
    const sidecarPath = dataClass === 'metadata' ? path : path.replace(/\.[^./]+$/, SIDECAR_EXTENSION);
    const times = await readSidecar(sidecarPath);
    let recordedAt = times.recordedAt;
    if (recordedAt === undefined) {
      try {
        recordedAt = (await stat(path)).mtimeMs;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    }
    const cameraKind = cameraId === undefined ? undefined : this.options.cameraKindOf?.(cameraId);
    return {
      id,
      dataClass,
      recordedAt,
      location: path,
      ...(cameraId === undefined ? {} : { cameraId }),
      ...(cameraKind === undefined ? {} : { cameraKind }),
      ...(times.recordedUntil === undefined ? {} : { recordedUntil: times.recordedUntil }),
      ...(times.tags ? { tags: times.tags } : {}),
    };
  }
}
