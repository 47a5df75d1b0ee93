import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../shared/errors.js';
import { writeFileDurably } from '../shared/durable-file.js';
import { idempotencyKey, jsonSha256 } from '../shared/idempotency-key.js';

/**
 * Deterministic idempotency keys (H4, P8). A record's key is an HMAC of its topic and raw payload
 * under a per-box secret, so an MQTT redelivery after a broker or gateway restart gets the same key
 * and central storage keeps it once. The HMAC matters: a plain hash of a payload that holds a MAC
 * could be brute-forced from the key. The secret lives in `dataDir/keys/` (0600) because keys must
 * survive restarts; it derives only these keys, never pseudonyms.
 */

const SECRET_BYTES = 32;

export function loadOrCreateDedupeSecret(path: string): Buffer {
  if (existsSync(path)) {
    const existing = readFileSync(path);
    if (existing.length !== SECRET_BYTES) throw new GatewayError('PGW_ERR_CONFIG_INVALID', `dedupe secret ${path} has the wrong length`, { path });
    return existing;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(SECRET_BYTES);
  writeFileDurably(path, secret, 0o600);
  return secret;
}

/**
 * `sensor_record:<policy>@sha256:<hex>` (the shared key format): the content digest is HMAC-SHA-256 of
 * topic and raw payload, stable across restarts for a redelivered message.
 */
export function recordKey(secret: Buffer, policyId: string, topic: string, payload: Uint8Array): string {
  const digest = createHmac('sha256', secret).update(topic, 'utf8').update('\u0000').update(payload).digest('hex');
  return idempotencyKey(`sensor_record:${policyId}`, digest);
}

/** Aggregates hold no identifiers, so their key is the plain content hash of the published window. */
export function aggregateKey(policyId: string, policyVersion: number, windowStart: number, body: unknown): string {
  return idempotencyKey(`sensor_aggregate:${policyId}:v${policyVersion}:${windowStart}`, jsonSha256(body));
}
