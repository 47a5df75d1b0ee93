import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../shared/errors.js';
import { removeFileDurably, writeFileAtomic } from './atomic-file.js';
import { ensureKeysDirectory, readSecretFile, writeSecretFile } from './key-files.js';

/**
 * Source of key-encryption keys (KEKs). Data keys are wrapped and unwrapped through it, so an
 * external KMS can implement the same interface without the KEK ever entering this process.
 */
export interface KeyProvider {
  /** Id of the KEK that wraps new data keys. */
  activeKekId(): string;
  /** Ids of every KEK the provider still holds (active included). */
  kekIds(): string[];
  wrap(kekId: string, dek: Buffer, aad: Buffer): Promise<Buffer>;
  unwrap(kekId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Creates a new KEK and makes it the active one; returns its id. */
  createAndActivate(): Promise<string>;
  /** Destroys a KEK that no data key is wrapped under any more. */
  retire(kekId: string): Promise<void>;
}

const WRAP_NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM key wrap: random 96-bit nonce || ciphertext || tag; `aad` binds the key to its record. */
export function wrapKey(kek: Buffer, dek: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(WRAP_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(dek), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function unwrapKey(kek: Buffer, wrapped: Buffer, aad: Buffer): Buffer {
  if (wrapped.length <= WRAP_NONCE_BYTES + TAG_BYTES) {
    throw new GatewayError('PGW_ERR_VAULT_INTEGRITY', 'wrapped data key is truncated');
  }
  const decipher = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, WRAP_NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(wrapped.subarray(WRAP_NONCE_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw new GatewayError('PGW_ERR_VAULT_INTEGRITY', 'data key failed to unwrap (wrong key or altered record)', {}, { cause: error });
  }
}

abstract class LocalKeyProvider implements KeyProvider {
  protected abstract kek(kekId: string): Buffer;
  abstract activeKekId(): string;
  abstract kekIds(): string[];
  abstract createAndActivate(): Promise<string>;
  abstract retire(kekId: string): Promise<void>;

  async wrap(kekId: string, dek: Buffer, aad: Buffer): Promise<Buffer> {
    return wrapKey(this.kek(kekId), dek, aad);
  }

  async unwrap(kekId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    return unwrapKey(this.kek(kekId), wrapped, aad);
  }
}

const KEK_FILE = /^kek-([0-9a-f]{16})\.key$/;
const ACTIVE_FILE = 'kek-active';

/** KEKs as 0600 files in `dataDir/keys` (`kek-<id>.key`), the active id in `kek-active`. */
export class FileKeyProvider extends LocalKeyProvider {
  constructor(private readonly keysDir: string) {
    super();
    ensureKeysDirectory(keysDir);
  }

  /** Creates the first KEK when there is none (first start). */
  initialize(): void {
    if (!existsSync(join(this.keysDir, ACTIVE_FILE))) this.createKekSync();
  }

  activeKekId(): string {
    const path = join(this.keysDir, ACTIVE_FILE);
    if (!existsSync(path)) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', 'no active key-encryption key; the vault was not initialized', { keysDir: this.keysDir });
    return readFileSync(path, 'utf8').trim();
  }

  kekIds(): string[] {
    return readdirSync(this.keysDir).flatMap((name) => KEK_FILE.exec(name)?.[1] ?? []);
  }

  async createAndActivate(): Promise<string> {
    return this.createKekSync();
  }

  async retire(kekId: string): Promise<void> {
    if (kekId === this.activeKekId()) throw new GatewayError('PGW_ERR_CONFLICT', 'the active key-encryption key cannot be retired', { kekId });
    removeFileDurably(this.pathOf(kekId));
  }

  protected kek(kekId: string): Buffer {
    const path = this.pathOf(kekId);
    if (!existsSync(path)) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', `key-encryption key ${kekId} is not available`, { kekId });
    const key = Buffer.from(readSecretFile(path).toString('utf8').trim(), 'base64');
    if (key.length !== 32) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', `key-encryption key ${kekId} is not 32 bytes`, { kekId });
    return key;
  }

  private createKekSync(): string {
    const kekId = randomBytes(8).toString('hex');
    writeSecretFile(this.pathOf(kekId), randomBytes(32).toString('base64'));
    writeFileAtomic(join(this.keysDir, ACTIVE_FILE), kekId, 0o600);
    return kekId;
  }

  private pathOf(kekId: string): string {
    if (!/^[0-9a-f]{16}$/.test(kekId)) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', 'malformed key-encryption key id', { kekId });
    return join(this.keysDir, `kek-${kekId}.key`);
  }
}

/**
 * KEKs from the environment (a secret store injects them): `PGW_VAULT_KEK` is the active one and
 * `PGW_VAULT_KEK_PREVIOUS` an optional retired one. Rotation happens outside: move the old key to
 * PREVIOUS, set a new KEK, restart; recovery then re-wraps every data key under the new one.
 */
export class EnvKeyProvider extends LocalKeyProvider {
  private readonly keys = new Map<string, Buffer>();
  private readonly active: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    super();
    const active = EnvKeyProvider.decode(env.PGW_VAULT_KEK, 'PGW_VAULT_KEK');
    if (!active) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', 'vault.kekSource is env but PGW_VAULT_KEK is not set');
    this.active = EnvKeyProvider.idOf(active);
    this.keys.set(this.active, active);
    const previous = EnvKeyProvider.decode(env.PGW_VAULT_KEK_PREVIOUS, 'PGW_VAULT_KEK_PREVIOUS');
    if (previous) this.keys.set(EnvKeyProvider.idOf(previous), previous);
  }

  private static decode(value: string | undefined, name: string): Buffer | undefined {
    if (value === undefined || value === '') return undefined;
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', `${name} must be 32 bytes, base64-encoded`);
    return key;
  }

  private static idOf(key: Buffer): string {
    return createHash('sha256').update('privacy-gateway kek id').update(key).digest('hex').slice(0, 16);
  }

  activeKekId(): string {
    return this.active;
  }

  kekIds(): string[] {
    return [...this.keys.keys()];
  }

  async createAndActivate(): Promise<string> {
    throw new GatewayError('PGW_ERR_CONFLICT', 'KEKs from the environment are rotated by setting a new PGW_VAULT_KEK (old one in PGW_VAULT_KEK_PREVIOUS) and restarting');
  }

  async retire(kekId: string): Promise<void> {
    this.keys.delete(kekId);
  }

  protected kek(kekId: string): Buffer {
    const key = this.keys.get(kekId);
    if (!key) throw new GatewayError('PGW_ERR_KEY_UNAVAILABLE', `key-encryption key ${kekId} is not available`, { kekId });
    return key;
  }
}
