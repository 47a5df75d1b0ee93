import { open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Unlinks a file and fsyncs its directory so that a power cut cannot bring it back. A file that is
 * already gone counts as erased (erasure is rerun after a crash).
 */
export async function unlinkDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  let directory;
  try {
    directory = await open(dirname(path), 'r');
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}


