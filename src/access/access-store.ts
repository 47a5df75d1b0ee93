import type { CatalogDatabase } from '../catalog/database.js';

export type AccessStatus = 'pending' | 'approved' | 'denied' | 'revoked';

export interface AccessRequestRecord {
  readonly id: string;
  readonly requester: string;
  readonly cameras: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly caseNumber: string;
  readonly purpose: string;
  readonly status: AccessStatus;
  readonly createdAt: number;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  readonly decisionReason: string | null;
  readonly grantExpiresAt: number | null;
  readonly revokedBy: string | null;
  readonly revokedAt: number | null;
}

interface RequestRow {
  id: string;
  requester: string;
  cameras: string;
  from_ms: number;
  to_ms: number;
  case_number: string;
  purpose: string;
  status: AccessStatus;
  created_at: number;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  grant_expires_at: number | null;
  revoked_by: string | null;
  revoked_at: number | null;
}

function fromRow(row: RequestRow): AccessRequestRecord {
  return {
    id: row.id,
    requester: row.requester,
    cameras: JSON.parse(row.cameras) as string[],
    fromMs: row.from_ms,
    toMs: row.to_ms,
    caseNumber: row.case_number,
    purpose: row.purpose,
    status: row.status,
    createdAt: row.created_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    grantExpiresAt: row.grant_expires_at,
    revokedBy: row.revoked_by,
    revokedAt: row.revoked_at,
  };
}

/** SQL for access requests, their grants (the approved state) and exports. */
export class AccessStore {
  constructor(private readonly db: CatalogDatabase) {}

  insert(record: AccessRequestRecord): void {
    this.db
      .prepare('INSERT INTO access_requests (id, requester, cameras, from_ms, to_ms, case_number, purpose, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(record.id, record.requester, JSON.stringify(record.cameras), record.fromMs, record.toMs, record.caseNumber, record.purpose, record.status, record.createdAt);
  }

  get(id: string): AccessRequestRecord | undefined {
    const row = this.db.prepare('SELECT * FROM access_requests WHERE id = ?').get(id) as RequestRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(filter: { requester?: string; status?: AccessStatus; limit: number; offset: number }): AccessRequestRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.requester !== undefined) {
      where.push('requester = ?');
      args.push(filter.requester);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db.prepare(`SELECT * FROM access_requests ${clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`).all(...args, filter.limit, filter.offset) as RequestRow[];
    return rows.map(fromRow);
  }

  /** Moves a pending request to approved or denied; false when it was no longer pending. */
  decide(id: string, status: 'approved' | 'denied', by: string, at: number, reason: string | null, grantExpiresAt: number | null): boolean {
    return (
      this.db
        .prepare("UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?, grant_expires_at = ? WHERE id = ? AND status = 'pending'")
        .run(status, by, at, reason, grantExpiresAt, id).changes === 1
    );
  }

  revoke(id: string, by: string, at: number): boolean {
    return (
      this.db
        .prepare("UPDATE access_requests SET status = 'revoked', revoked_by = ?, revoked_at = ? WHERE id = ? AND status IN ('pending', 'approved')")
        .run(by, at, id).changes === 1
    );
  }

  insertExport(id: string, requestId: string, at: number): void {
    this.db.prepare('INSERT INTO access_exports (id, request_id, created_at) VALUES (?, ?, ?)').run(id, requestId, at);
  }

  completeExport(id: string, manifest: string): void {
    this.db.prepare('UPDATE access_exports SET manifest = ? WHERE id = ?').run(manifest, id);
  }

  failExport(id: string, reason: string): void {
    this.db.prepare('UPDATE access_exports SET failure = ? WHERE id = ?').run(reason, id);
  }

  /** An export's signed manifest (null until it completes) or why it stopped; undefined when there is no such export. */
  exportOutcome(requestId: string, exportId: string): { manifest: string | null; failure: string | null } | undefined {
    return this.db.prepare('SELECT manifest, failure FROM access_exports WHERE id = ? AND request_id = ?').get(exportId, requestId) as { manifest: string | null; failure: string | null } | undefined;
  }
}
