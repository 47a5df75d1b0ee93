import { existsSync, readFileSync } from 'node:fs';
import type { CatalogDatabase } from '../catalog/database.js';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditEvent, AuditPort, OutboxPort } from '../shared/ports.js';
import { writeFileAtomic } from '../vault/atomic-file.js';
import type { SigningKey } from '../vault/signing-key.js';
import { GENESIS_HASH, hashRecord, recordFromRow, signHead, type AuditRecord, type AuditRow, type SignedHead } from './audit-record.js';
import { verifyAuditLog, type AuditVerification } from './audit-verify.js';
import { canonicalJson } from './canonical-json.js';

export interface AuditLogOptions {
  db: CatalogDatabase;
  clock: Clock;
  logger: Logger;
  signingKey: SigningKey;
  /** File holding the signed head after each append (detects truncation and rollback of the catalog). */
  anchorPath: string;
  /** Where signed checkpoints go off the box (the uplink), when there is one. */
  outbox?: OutboxPort;
  checkpointEvery: number;
  checkpointIntervalMs: number;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  object?: string;
  outcome?: string;
  /** ISO timestamps, inclusive. */
  from?: string;
  to?: string;
  /** Return records with seq greater than this. */
  after?: number;
  limit: number;
}

const MAX_DETAILS_BYTES = 8 * 1024;

/**
 * Append-only, hash-chained audit log in the catalog (P7). `append` is synchronous and throws
 * PGW_ERR_AUDIT_UNAVAILABLE when the record cannot be written; called inside a caller's
 * `db.transaction`, the caller's change and its audit record commit or roll back together.
 */
export class AuditLog implements AuditPort {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private outbox: OutboxPort | undefined;

  constructor(private readonly options: AuditLogOptions) {
    this.log = options.logger.child({ module: 'audit' });
    this.outbox = options.outbox;
  }

  /**
   * Connects the uplink once it exists (it is built after the audit log, which it audits into) and
   * hands it the latest checkpoint; checkpoint keys are deterministic, so a repeat is no duplicate.
   */
  attachOutbox(outbox: OutboxPort): void {
    this.outbox = outbox;
    const latest = this.checkpoints().at(-1);
    if (latest) this.export(latest);
  }

  start(): void {
    this.timer = setInterval(() => this.onInterval(), Math.min(this.options.checkpointIntervalMs, 60_000));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Appends one record; with an `idempotencyKey` already in the log, returns that record and writes nothing. */
  append(event: AuditEvent): AuditRecord {
    const details = canonicalJson(event.details ?? {});
    if (Buffer.byteLength(details) > MAX_DETAILS_BYTES || event.action.length > 128 || event.object.length > 512 || event.actor.length > 256 || (event.idempotencyKey?.length ?? 0) > 512) {
      throw new GatewayError('PGW_ERR_INTERNAL', 'audit event exceeds the size limits', { action: event.action.slice(0, 128) });
    }
    const { db } = this.options;
    let record: AuditRecord;
    try {
      // IMMEDIATE: the head is read under the write lock, so a second process (the CLI) cannot fork the chain.
      record = db.transaction(() => {
        if (event.idempotencyKey !== undefined) {
          const existing = db.prepare('SELECT * FROM audit_log WHERE idempotency_key = ?').get(event.idempotencyKey) as AuditRow | undefined;
          if (existing) return recordFromRow(existing);
        }
        const head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
        const unsigned = {
          seq: (head?.seq ?? 0) + 1,
          ts: new Date(this.options.clock.now()).toISOString(),
          actor: event.actor,
          role: event.role ?? null,
          action: event.action,
          object: event.object,
          outcome: event.outcome,
          details: JSON.parse(details) as Record<string, unknown>,
          ...(event.idempotencyKey === undefined ? {} : { idempotencyKey: event.idempotencyKey }),
        };
        const prevHash = head?.hash ?? GENESIS_HASH;
        const full: AuditRecord = { ...unsigned, prevHash, hash: hashRecord(prevHash, unsigned) };
        db.prepare('INSERT INTO audit_log (seq, ts, actor, role, action, object, outcome, details, prev_hash, hash, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(full.seq, full.ts, full.actor, full.role, full.action, full.object, full.outcome, details, full.prevHash, full.hash, full.idempotencyKey ?? null);
        return full;
      }).immediate();
    } catch (error) {
      this.log.error({ err: error, action: event.action }, 'audit record could not be written');
      throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'the audit log cannot be written; the action is refused', { action: event.action }, { cause: error });
    }
    if (db.inTransaction) setImmediate(() => this.afterCommit());
    else this.afterCommit();
    return record;
  }

  head(): { seq: number; hash: string } {
    const head = this.options.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    return head ?? { seq: 0, hash: GENESIS_HASH };
  }

  query(query: AuditQuery): { records: AuditRecord[]; next: number | null } {
    const where: string[] = ['seq > ?'];
    const args: (string | number)[] = [query.after ?? 0];
    const filters: [keyof AuditQuery, string][] = [['actor', 'actor = ?'], ['action', 'action = ?'], ['object', 'object = ?'], ['outcome', 'outcome = ?'], ['from', 'ts >= ?'], ['to', 'ts <= ?']];
    for (const [key, sql] of filters) {
      const value = query[key];
      if (value !== undefined) {
        where.push(sql);
        args.push(value);
      }
    }
    const rows = this.options.db
      .prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`)
      .all(...args, query.limit + 1) as AuditRow[];
    const records = rows.slice(0, query.limit).map(recordFromRow);
    return { records, next: rows.length > query.limit ? (records.at(-1)?.seq ?? null) : null };
  }

  /** Every signed checkpoint written so far, oldest first. */
  checkpoints(): SignedHead[] {
    const rows = this.options.db.prepare('SELECT seq, head_hash, ts, key_id, signature FROM audit_checkpoints ORDER BY seq').all() as {
      seq: number; head_hash: string; ts: string; key_id: string; signature: string;
    }[];
    return rows.map((row) => ({ seq: row.seq, headHash: row.head_hash, ts: row.ts, keyId: row.key_id, signature: row.signature }));
  }

  /** Verifies the chain against the stored checkpoints, the anchor file and any heads exported off the box. */
  verify(external: readonly SignedHead[] = []): AuditVerification {
    const anchor = this.anchor();
    return verifyAuditLog(this.options.db, this.options.signingKey.publicKey, [...this.checkpoints(), ...(anchor ? [anchor] : []), ...external]);
  }

  /** The signed head last written next to the catalog, if any. */
  anchor(): SignedHead | undefined {
    return readAnchor(this.options.anchorPath);
  }

  /** Signs the current head and hands it to the outbox now (also on the interval and every N records). */
  checkpoint(): SignedHead | undefined {
    const head = this.head();
    if (head.seq === 0) return undefined;
    const signed = signHead(this.options.signingKey, head.seq, head.hash, new Date(this.options.clock.now()).toISOString());
    this.options.db
      .prepare('INSERT OR IGNORE INTO audit_checkpoints (seq, head_hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)')
      .run(signed.seq, signed.headHash, signed.ts, signed.keyId, signed.signature);
    this.export(signed);
    return signed;
  }

  private export(checkpoint: SignedHead): void {
    this.outbox?.enqueue({ kind: 'audit_checkpoint', key: `audit-checkpoint:${checkpoint.seq}:${checkpoint.headHash}`, group: 'audit', body: { ...checkpoint } });
  }

  /** After a commit: refresh the signed head anchor, then checkpoint if one is due. */
  private afterCommit(): void {
    try {
      if (!this.options.db.open || this.options.db.inTransaction) return;
      const head = this.head();
      if (head.seq === 0) return;
      // Not fsynced: after power loss the anchor may lag behind the (fsynced) log, which verify accepts; it is never ahead.
      writeFileAtomic(this.options.anchorPath, JSON.stringify(signHead(this.options.signingKey, head.seq, head.hash, new Date(this.options.clock.now()).toISOString())), 0o600, false);
      this.checkpointIfDue();
    } catch (error) {
      this.log.error({ err: error }, 'audit head anchor or checkpoint could not be written');
    }
  }

  private checkpointIfDue(): void {
    if (!this.options.db.open) return;
    const head = this.head();
    const last = this.options.db.prepare('SELECT seq, ts FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number; ts: string } | undefined;
    const sinceSeq = head.seq - (last?.seq ?? 0);
    const sinceMs = this.options.clock.now() - (last ? Date.parse(last.ts) : 0);
    if (sinceSeq > 0 && (sinceSeq >= this.options.checkpointEvery || sinceMs >= this.options.checkpointIntervalMs)) this.checkpoint();
  }

  private onInterval(): void {
    try {
      this.checkpointIfDue();
    } catch (error) {
      this.log.error({ err: error }, 'audit checkpoint could not be written');
    }
  }
}

/** The anchor file, or undefined when absent or unreadable (e.g. emptied by a power loss before its data reached disk). */
export function readAnchor(path: string): SignedHead | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SignedHead;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
