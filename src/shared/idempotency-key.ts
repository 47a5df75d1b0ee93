import { createHash } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * The deterministic idempotency key of an artefact that leaves the box (P8): its id plus the SHA-256 of its
 * content. The same artefact always gets the same key, so a redelivery after a crash or an outage overwrites
 * or is ignored upstream instead of duplicating.
 */
export function idempotencyKey(artefactId: string, contentSha256: string): string {
  if (artefactId.length === 0 || artefactId.length > 200) throw new RangeError('artefact id must have 1 to 200 characters');
  if (!HEX_SHA256.test(contentSha256)) throw new RangeError('content hash must be a lowercase hex SHA-256');
  return `${artefactId}@sha256:${contentSha256}`;
}

/** SHA-256 of a JSON body in a canonical form (keys sorted), for keys of records and checkpoints. */
export function jsonSha256(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
