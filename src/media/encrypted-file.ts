import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

/** A work file holding media encrypted at rest, with the key to open it; `dispose` deletes it and forgets the key. */
export interface SealedWorkFile {
  readonly input: MediaInput;
  dispose(): Promise<void>;
}

/**
 * Writes `plain` (media in memory) encrypted to a new file in `dir` (0600), so that ffmpeg can read it with
 * seeking, which a pipe does not allow (an MP4 whose index comes last cannot be read from a pipe at all).
 * The key exists only in memory: a file left by a crash is unreadable (its owner clears its directory at start).
 */
export async function writeSealedWorkFile(plain: Buffer, dir: string): Promise<SealedWorkFile> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${randomBytes(12).toString('hex')}.enc`);
  const fileKey = newFileKey();
  const dispose = async (): Promise<void> => {
    forgetFileKey(fileKey);
    await rm(path, { force: true });
  };
  try {
    await pipeline(Readable.from([plain]), encryptingStream(fileKey), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    await dispose();
    throw error;
  }
  return { input: mediaInput(path, fileKey), dispose };
}
