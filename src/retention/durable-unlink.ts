import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectory } from '../shared/durable-file.js';

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Unlinks a file and fsyncs its directory so that a power cut cannot bring it back. A file (or
 * directory) that is already gone counts as erased: erasure is rerun after a crash.
 */
export async function unlinkDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  try {
    fsyncDirectory(dirname(path));
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}
