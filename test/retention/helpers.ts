import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GatewayError } from '../../src/shared/errors.js';
import type { AuditEvent, AuditPort } from '../../src/shared/ports.js';
import type { AccessDeniedListener } from '../../src/api/auth.js';
import type { Authenticator, Principal, Role } from '../../src/shared/types.js';
import { ROLES } from '../../src/shared/types.js';

/**
 * An append-only SQLite audit log with the AuditPort contract (PGW_ERR_AUDIT_UNAVAILABLE when it cannot
 * write). Either in its own file, honouring idempotency keys (one record per key), or inside the
 * catalog on the caller's connection without keys, as the gateway's hash-chained log is: there, only
 * the caller's transaction keeps records single.
 */
export class SqliteAuditLog implements AuditPort {
  private readonly db: Database.Database;
  private readonly ownsDb: boolean;
  unavailable = false;

  constructor(target: string | Database.Database) {
    this.ownsDb = typeof target === 'string';
    this.db = typeof target === 'string' ? new Database(target) : target;
    if (this.ownsDb) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
    }
    const keyColumn = this.ownsDb ? 'idempotency_key TEXT UNIQUE' : 'idempotency_key TEXT';
    this.db.exec(`CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, ${keyColumn}, action TEXT NOT NULL, object TEXT NOT NULL, outcome TEXT NOT NULL, event_json TEXT NOT NULL)`);
  }

  append(event: AuditEvent): void {
    if (this.unavailable) throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'audit store is not writable');
    this.db
      .prepare(`INSERT INTO audit (idempotency_key, action, object, outcome, event_json) VALUES (?, ?, ?, ?, ?)${this.ownsDb ? ' ON CONFLICT (idempotency_key) DO NOTHING' : ''}`)
      .run(event.idempotencyKey ?? null, event.action, event.object, event.outcome, JSON.stringify(event));
  }

  events(action?: string): AuditEvent[] {
    const rows = (action === undefined
      ? this.db.prepare('SELECT event_json FROM audit ORDER BY seq').all()
      : this.db.prepare('SELECT event_json FROM audit WHERE action = ? ORDER BY seq').all(action)) as { event_json: string }[];
    return rows.map((row) => JSON.parse(row.event_json) as AuditEvent);
  }

  close(): void {
    if (this.ownsDb) this.db.close();
  }
}

/** Test bearer tokens `role:subject` (e.g. `approver:alice`); anything else is a 401. */
export const testAuthenticator: Authenticator = {
  authenticate: async (authorization) => {
    const match = /^Bearer ([a-z]+):([a-z0-9-]+)$/.exec(authorization ?? '');
    const role = match?.[1] as Role | undefined;
    if (!match || !role || !ROLES.includes(role)) throw new GatewayError('PGW_ERR_UNAUTHORIZED', 'invalid bearer token');
    const principal: Principal = { subject: match[2]!, roles: [role], authMethods: ['pwd'], scopes: [] };
    return principal;
  },
};

/** Audits refusals of the role guards the way the composed gateway does (`api.forbidden`). */
export function auditRefusals(audit: AuditPort): AccessDeniedListener {
  return (principal, request, needed) => {
    audit.append({ actor: principal.subject, role: principal.roles.join(','), action: 'api.forbidden', object: `route:${request.method} ${request.routeOptions.url ?? request.url}`, outcome: 'denied', details: { needed } });
  };
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'pgw-retention-'));
}

/**
 * Writes a redacted segment and its sidecar into `spool/<camera>/<day>/`, as the encoder leaves them:
 * written when the recording ends, so their mtime is the end of the recording.
 */
export function writeSpoolSegment(spoolRoot: string, cameraId: string, name: string, startMs: number, durationMs = 10_000): { segment: string; sidecar: string } {
  const day = new Date(startMs).toISOString().slice(0, 10);
  const segment = join(spoolRoot, cameraId, day, `${name}.mp4`);
  const sidecar = join(spoolRoot, cameraId, day, `${name}.json`);
  mkdirSync(dirname(segment), { recursive: true });
  writeFileSync(segment, Buffer.alloc(1024, 7));
  writeFileSync(sidecar, JSON.stringify({ cameraId, startMs, endMs: startMs + durationMs, segmentId: name }));
  const endSeconds = (startMs + durationMs) / 1000;
  utimesSync(segment, endSeconds, endSeconds);
  utimesSync(sidecar, endSeconds, endSeconds);
  return { segment, sidecar };
}
