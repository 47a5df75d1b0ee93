import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../shared/errors.js';

/**
 * Chunked AES-256-GCM (the STREAM construction): the plaintext is cut into chunks, each sealed with
 * its own tag under nonce = 7-byte random prefix || 32-bit chunk counter || last-chunk flag. Each
 * data key encrypts exactly one segment once, so (key, nonce) never repeats; the counter and flag
 * make reordering, dropping or truncating chunks fail. Every chunk authenticates the file header
 * and a digest of the bound metadata (original id, segment id, camera, time range, container).
 *
 * File layout: 'PGWV' | version (1) | chunk size (u32 BE) | nonce prefix (7) | chunks (ciphertext || tag)...
 */
const MAGIC = Buffer.from('PGWV');
const VERSION = 1;
export const HEADER_BYTES = 16;
const PREFIX_BYTES = 7;
const TAG_BYTES = 16;

export interface BoundMetadata {
  readonly originalId: string;
  readonly segmentId: string;
  readonly cameraId: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly container: string;
}

export function metadataDigest(meta: BoundMetadata): Buffer {
  const fields = [meta.originalId, meta.segmentId, meta.cameraId, meta.startMs, meta.endMs, meta.container];
  return createHash('sha256').update(JSON.stringify(fields)).digest();
}

function chunkNonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, PREFIX_BYTES);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function encryptSegment(dek: Buffer, plaintext: Buffer, meta: BoundMetadata, chunkBytes: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[4] = VERSION;
  header.writeUInt32BE(chunkBytes, 5);
  const prefix = randomBytes(PREFIX_BYTES);
  prefix.copy(header, 9);
  const aad = Buffer.concat([header, metadataDigest(meta)]);
  const chunkCount = Math.max(1, Math.ceil(plaintext.length / chunkBytes));
  const parts: Buffer[] = [header];
  for (let index = 0; index < chunkCount; index++) {
    const cipher = createCipheriv('aes-256-gcm', dek, chunkNonce(prefix, index, index === chunkCount - 1));
    cipher.setAAD(aad);
    parts.push(cipher.update(plaintext.subarray(index * chunkBytes, (index + 1) * chunkBytes)), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(parts);
}

function integrityError(reason: string, meta: BoundMetadata, cause?: unknown): GatewayError {
  return new GatewayError('PGW_ERR_VAULT_INTEGRITY', `original ${meta.originalId} failed authentication: ${reason}`, { originalId: meta.originalId, reason }, { cause });
}

/** Reads the nonce prefix of an encrypted file (for nonce-uniqueness checks). */
export function noncePrefixOf(file: Buffer): Buffer {
  return file.subarray(9, 9 + PREFIX_BYTES);
}

/** Decrypts and authenticates every chunk before returning anything: no partial plaintext on failure. */
export function decryptSegment(dek: Buffer, file: Buffer, meta: BoundMetadata): Buffer {
  if (file.length < HEADER_BYTES + TAG_BYTES || !file.subarray(0, 4).equals(MAGIC) || file[4] !== VERSION) {
    throw integrityError('not an encrypted original of a known version', meta);
  }
  const header = file.subarray(0, HEADER_BYTES);
  const chunkBytes = header.readUInt32BE(5);
  if (chunkBytes === 0) throw integrityError('bad chunk size', meta);
  const prefix = noncePrefixOf(file);
  const aad = Buffer.concat([header, metadataDigest(meta)]);
  const chunks: Buffer[] = [];
  let offset = HEADER_BYTES;
  for (let index = 0; offset < file.length; index++) {
    const remaining = file.length - offset;
    const last = remaining <= chunkBytes + TAG_BYTES;
    const sealed = file.subarray(offset, offset + Math.min(remaining, chunkBytes + TAG_BYTES));
    if (sealed.length < TAG_BYTES) throw integrityError(`chunk ${index} is truncated`, meta);
    const decipher = createDecipheriv('aes-256-gcm', dek, chunkNonce(prefix, index, last));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      chunks.push(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]));
    } catch (error) {
      chunks.forEach((chunk) => chunk.fill(0));
      throw integrityError(`chunk ${index} does not authenticate`, meta, error);
    }
    offset += sealed.length;
  }
  return Buffer.concat(chunks);
}
