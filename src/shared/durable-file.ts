import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Suffix of files being written; a file with it after a crash is half-written and is discarded on restart. */
export const PARTIAL_SUFFIX = '.partial';

function partialPath(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`);
}

/** fsyncs a directory so that a rename or unlink in it survives power loss. */
export function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` so that `finalPath` either does not exist or holds all of it, across `kill -9` and power loss:
 * write a partial file, fsync it, rename it into place, fsync the directory. Only then is the write acknowledged.
 */
export function writeFileDurably(finalPath: string, data: Uint8Array | string, mode = 0o640): void {
  const temporary = partialPath(finalPath);
  const fd = openSync(temporary, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, finalPath);
  fsyncDirectory(dirname(finalPath));
}

/** Like `writeFileDurably`, streaming `source` (a file) in chunks so that large segments never sit in memory. */
export async function copyFileDurably(source: string, finalPath: string): Promise<{ bytes: number; sha256: string }> {
  const temporary = partialPath(finalPath);
  const input = await open(source, 'r');
  const output = await open(temporary, 'wx', 0o640);
  const hash = createHash('sha256');
  let total = 0;
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await input.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      let written = 0;
      while (written < bytesRead) written += (await output.write(chunk, written, bytesRead - written)).bytesWritten;
      hash.update(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    await output.sync();
  } finally {
    await output.close();
    await input.close();
  }
  renameSync(temporary, finalPath);
  fsyncDirectory(dirname(finalPath));
  return { bytes: total, sha256: hash.digest('hex') };
}

/** Deletes half-written files left by a crash under `root` (recursively); returns their paths. */
export function discardPartialFiles(root: string): string[] {
  const discarded: string[] = [];
  const walk = (directory: string): void => {
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(PARTIAL_SUFFIX)) {
        rmSync(path, { force: true });
        discarded.push(path);
      }
    }
    if (discarded.length > 0) fsyncDirectory(directory);
  };
  walk(root);
  return discarded;
}

/** Creates `path` and any missing parents, fsyncing each parent so that the new entries survive power loss. */
export function ensureDirectoryDurably(path: string): void {
  if (existsSync(path)) return;
  ensureDirectoryDurably(dirname(path));
  mkdirSync(path);
  fsyncDirectory(dirname(path));
}
