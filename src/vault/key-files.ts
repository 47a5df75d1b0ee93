import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { GatewayError } from '../shared/errors.js';
import { writeFileAtomic } from './atomic-file.js';

/** Creates the keys directory with owner-only access. */
export function ensureKeysDirectory(keysDir: string): void {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  chmodSync(keysDir, 0o700);
}

/** Reads a secret key file, refusing one that other users could read (it must be 0600 or stricter). */
export function readSecretFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', `key file ${path} is accessible to other users (mode ${mode.toString(8)}); run chmod 600`, { path });
  }
  return readFileSync(path);
}

export function writeSecretFile(path: string, data: Buffer | string): void {
  writeFileAtomic(path, data, 0o600);
}

export function secretFileExists(path: string): boolean {
  return existsSync(path);
}
