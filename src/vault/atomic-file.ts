import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from '../shared/durable-file.js';

/**
 * Writes `data` to `path` so that a crash leaves either the old file or the new one, never a mix:
 * temp file in the same directory, write, fsync, rename, fsync the directory. Callers pass only
 * data that may rest on disk (ciphertext, public keys, key files created 0600 from the first byte).
 * `durable: false` skips the fsyncs for files that may lag behind after power loss (the rename stays atomic).
 */
export function writeFileAtomic(path: string, data: Buffer | string, mode = 0o600, durable = true): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  if (durable) fsyncDirectory(dir);
}

/** Removes a file and makes the removal durable. */
export function removeFileDurably(path: string): void {
  rmSync(path, { force: true });
  fsyncDirectory(dirname(path));
}
