import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { signDetached, verifyDetached, type SigningKey } from '../vault/signing-key.js';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** One stored audit record. `hash` chains it to the record before (`prevHash`). */
export interface AuditRecord {
  readonly seq: number;
  /** UTC, ISO 8601. */
  readonly ts: string;
  readonly actor: string;
  readonly role: string | null;
  readonly action: string;
  readonly object: string;
  readonly outcome: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** Set for events a component may append again after a crash; one record per key. */
  readonly idempotencyKey?: string;
  readonly prevHash: string;
  readonly hash: string;
}

export function hashRecord(prevHash: string, record: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  const body = canonicalJson({
    seq: record.seq,
    ts: record.ts,
    actor: record.actor,
    role: record.role,
    action: record.action,
    object: record.object,
    outcome: record.outcome,
    details: record.details,
    idempotencyKey: record.idempotencyKey,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** A signed statement "the log had `seq` records and its head hash was `headHash`". */
export interface SignedHead {
  readonly seq: number;
  readonly headHash: string;
  readonly ts: string;
  readonly keyId: string;
  readonly signature: string;
}

function headPayload(head: Omit<SignedHead, 'signature'>): string {
  return canonicalJson({ type: 'privacy-gateway.audit-head', seq: head.seq, headHash: head.headHash, ts: head.ts, keyId: head.keyId });
}

export function signHead(key: SigningKey, seq: number, headHash: string, ts: string): SignedHead {
  const unsigned = { seq, headHash, ts, keyId: key.keyId };
  return { ...unsigned, signature: signDetached(key, headPayload(unsigned)) };
}

export function verifyHead(publicKey: KeyObject, head: SignedHead): boolean {
  return verifyDetached(publicKey, headPayload(head), head.signature);
}

export interface AuditRow {
  seq: number;
  ts: string;
  actor: string;
  role: string | null;
  action: string;
  object: string;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
  idempotency_key: string | null;
}

export function recordFromRow(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    ts: row.ts,
    actor: row.actor,
    role: row.role,
    action: row.action,
    object: row.object,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    ...(row.idempotency_key === null ? {} : { idempotencyKey: row.idempotency_key }),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

