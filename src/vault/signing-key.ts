import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { ensureKeysDirectory, readSecretFile, secretFileExists, writeSecretFile } from './key-files.js';
import { writeFileAtomic } from './atomic-file.js';

/** An Ed25519 key pair held by the gateway (audit checkpoints, export manifests, local tokens). */
export interface SigningKey {
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/**
 * Loads `keysDir/<name>.pem` (0600) or creates it on first start; the public half is also written
 * next to it as `<name>.pub.pem` so that verifiers off the box can be given it.
 */
export function loadOrCreateSigningKey(keysDir: string, name: string): SigningKey {
  ensureKeysDirectory(keysDir);
  const path = join(keysDir, `${name}.pem`);
  if (!secretFileExists(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeSecretFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }
  const privateKey = createPrivateKey(readSecretFile(path));
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const publicPath = join(keysDir, `${name}.pub.pem`);
  if (!secretFileExists(publicPath)) writeFileAtomic(publicPath, publicKeyPem, 0o644);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey, publicKeyPem };
}

export function signDetached(key: SigningKey, data: string): string {
  return sign(null, Buffer.from(data), key.privateKey).toString('base64');
}

export function verifyDetached(publicKey: KeyObject, data: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(data), publicKey, Buffer.from(signature, 'base64'));
  } catch (error) {
    if (error instanceof Error) return false;
    throw error;
  }
}

export const GATEWAY_SIGNING_KEY = 'gateway-ed25519';
export const TOKEN_SIGNING_KEY = 'token-ed25519';
