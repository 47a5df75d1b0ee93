import type { Migration } from './migrations.js';

/** Tables of the vault (originals and their wrapped keys), the audit log and access requests/grants. */
export const SECURITY_MIGRATIONS: readonly Migration[] = [
  {
    name: 'security-001-vault',
    sql: `
      CREATE TABLE vault_originals (
        original_id TEXT PRIMARY KEY,
        segment_id TEXT NOT NULL UNIQUE,
        camera_id TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        container TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        plain_bytes INTEGER NOT NULL,
        path TEXT NOT NULL,
        kek_id TEXT,
        wrapped_dek BLOB,
        created_at INTEGER NOT NULL,
        shredded_at INTEGER
      );
      CREATE INDEX vault_originals_scope ON vault_originals (camera_id, start_ms);
      CREATE INDEX vault_originals_kek ON vault_originals (kek_id);
    `,
  },
  {
    name: 'security-002-audit',
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        outcome TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_log_action ON audit_log (action);
      CREATE INDEX audit_log_actor ON audit_log (actor);
      CREATE TABLE audit_checkpoints (
        seq INTEGER PRIMARY KEY,
        head_hash TEXT NOT NULL,
        ts TEXT NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL
      );
    `,
  },
  {
    name: 'security-003-access',
    sql: `
      CREATE TABLE access_requests (
        id TEXT PRIMARY KEY,
        requester TEXT NOT NULL,
        cameras TEXT NOT NULL,
        from_ms INTEGER NOT NULL,
        to_ms INTEGER NOT NULL,
        case_number TEXT NOT NULL,
        purpose TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        decided_by TEXT,
        decided_at INTEGER,
        decision_reason TEXT,
        grant_expires_at INTEGER,
        revoked_by TEXT,
        revoked_at INTEGER
      );
      CREATE INDEX access_requests_requester ON access_requests (requester);
      CREATE TABLE access_exports (
        id TEXT PRIMARY KEY,
        request_id TEXT NOT NULL REFERENCES access_requests (id),
        manifest TEXT,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'security-004-audit-idempotency',
    sql: `
      ALTER TABLE audit_log ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX audit_log_idempotency ON audit_log (idempotency_key) WHERE idempotency_key IS NOT NULL;
    `,
  },
  {
    // Static privacy masks in effect at capture (JSON polygons); unredacted exports apply them (A6).
    name: 'security-005-original-privacy-masks',
    sql: `ALTER TABLE vault_originals ADD COLUMN privacy_masks TEXT NOT NULL DEFAULT '[]';`,
  },
  {
    // Public-records exports of redacted footage (G2): who exported what, for which records request, and the signed manifest.
    name: 'security-006-public-exports',
    sql: `
      CREATE TABLE public_exports (
        id TEXT PRIMARY KEY,
        camera_id TEXT NOT NULL,
        from_ms INTEGER NOT NULL,
        to_ms INTEGER NOT NULL,
        reference TEXT NOT NULL,
        requester TEXT NOT NULL,
        manifest TEXT,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Why a public export stopped part-way (a segment failed its fixity check): its manifest then says so.
    name: 'security-007-public-export-failure',
    sql: `ALTER TABLE public_exports ADD COLUMN failure TEXT;`,
  },
  {
    // Likewise for unredacted exports (a grant revoked, an original failing its integrity check, ffmpeg failing).
    name: 'security-008-access-export-failure',
    sql: `ALTER TABLE access_exports ADD COLUMN failure TEXT;`,
  },
];
