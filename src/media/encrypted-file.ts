import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Transform } from 'node:stream';

/**
 * The key of a work file that holds media encrypted at rest (AES-128-CBC, PKCS#7 padding): ffmpeg and ffprobe
 * decrypt it as they read, seeking included (their `crypto:` protocol), so an original handed to them never lies
 * on disk in plaintext (P2). The key lives in memory, or sealed by the vault's key-encryption key.
 */
export interface FileKey {
  readonly key: Buffer;
  readonly iv: Buffer;
}

const CIPHER = 'aes-128-cbc';
const BLOCK = 16;

export function newFileKey(): FileKey {
  return { key: randomBytes(16), iv: randomBytes(16) };
}

/** 32 bytes (key ‖ iv), for sealing; and back. */
export function fileKeyBytes(fileKey: FileKey): Buffer {
  return Buffer.concat([fileKey.key, fileKey.iv]);
}

export function fileKeyOf(bytes: Buffer): FileKey {
  if (bytes.length !== 32) throw new Error(`a file key is 32 bytes, not ${bytes.length}`);
  return { key: Buffer.from(bytes.subarray(0, 16)), iv: Buffer.from(bytes.subarray(16)) };
}

export function forgetFileKey(fileKey: FileKey): void {
  fileKey.key.fill(0);
  fileKey.iv.fill(0);
}

export function encryptingStream(fileKey: FileKey): Transform {
  return createCipheriv(CIPHER, fileKey.key, fileKey.iv);
}

/** The whole plaintext, in memory: one buffer the size of the file, filled as it is read (no second copy). */
export async function readDecrypted(path: string, fileKey: FileKey): Promise<Buffer> {
  const decipher = createDecipheriv(CIPHER, fileKey.key, fileKey.iv);
  const plain = Buffer.allocUnsafe((await stat(path)).size);
  let length = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) length += decipher.update(chunk).copy(plain, length);
  length += decipher.final().copy(plain, length);
  return plain.subarray(0, length);
}

/** The first plaintext bytes of an encrypted file's first block (`head` holds at least one block of ciphertext). */
export function decryptedHead(head: Buffer, fileKey: FileKey): Buffer {
  if (head.length < BLOCK) return Buffer.alloc(0);
  const decipher = createDecipheriv(CIPHER, fileKey.key, fileKey.iv).setAutoPadding(false);
  return decipher.update(head.subarray(0, BLOCK));
}

/** How ffmpeg and ffprobe open a file: options before `-i` and the input itself. */
export interface MediaInput {
  readonly options: readonly string[];
  readonly url: string;
}

export function mediaInput(path: string, fileKey?: FileKey): MediaInput {
  if (!fileKey) return { options: [], url: path };
  return { options: ['-key', fileKey.key.toString('hex'), '-iv', fileKey.iv.toString('hex')], url: `crypto:${path}` };
}
