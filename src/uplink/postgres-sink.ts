import pg from 'pg';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Logger } from '../shared/logger.js';
import type { OutboxItem } from '../shared/ports.js';
import type { Provenance, Sink } from './sink.js';

export interface PostgresSinkOptions {
  readonly url: string;
  /** Schema that holds the index and its migrations (created when missing). */
  readonly schema: string;
  readonly logger: Logger;
  readonly name?: string;
  readonly connectionTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Migrations of the central index, applied in order and recorded in `<schema>.pgw_migrations`. */
const INDEX_MIGRATIONS: readonly { name: string; sql: string }[] = [
  {
    name: '0001-artefacts',
    sql: `CREATE TABLE artefacts (
        idempotency_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        grp TEXT,
        gateway_id TEXT NOT NULL,
        enqueued_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ,
        content_type TEXT,
        body JSONB,
        file_bytes BIGINT,
        file_sha256 TEXT,
        first_delivered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        redeliveries INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX artefacts_kind_group ON artefacts (kind, grp, enqueued_at);
      CREATE INDEX artefacts_expiry ON artefacts (expires_at) WHERE expires_at IS NOT NULL;`,
  },
];

/**
 * Central metadata index in PostgreSQL: segments, sidecar fields, sensor records and aggregates, audit checkpoints.
 * One row per idempotency key; a redelivery upserts onto it (and counts itself), so the effect is exactly once.
 * Payload files are indexed by size and SHA-256, not copied (object storage holds the bytes).
 */
export class PostgresSink implements Sink {
  readonly name: string;
  readonly ordered = false;
  private pool: pg.Pool | undefined;

  constructor(private readonly options: PostgresSinkOptions) {
    if (!SCHEMA_NAME.test(options.schema)) throw new RangeError(`postgres schema '${options.schema}' is not a plain lowercase identifier`);
    this.name = options.name ?? 'postgres';
  }

  accepts(): boolean {
    return true;
  }

  async start(): Promise<void> {
    this.pool = new pg.Pool({ connectionString: this.options.url, max: 2, connectionTimeoutMillis: this.options.connectionTimeoutMs ?? 5000 });
    this.pool.on('error', (error) => this.options.logger.warn({ sink: this.name, err: error }, 'idle postgres connection failed'));
    try {
      await this.migrate();
    } catch (error) {
      // Central storage may be down at start; the outbox keeps everything and migration is retried on delivery.
      this.options.logger.warn({ sink: this.name, err: error }, 'postgres index not reachable at start; will retry');
    }
  }

  private migrated = false;

  private async migrate(): Promise<void> {
    if (this.migrated || !this.pool) return;
    const schema = this.options.schema;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pgw-index:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.pgw_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const applied = new Set((await client.query<{ name: string }>(`SELECT name FROM ${schema}.pgw_migrations`)).rows.map((row) => row.name));
      await client.query(`SET LOCAL search_path TO ${schema}`);
      for (const migration of INDEX_MIGRATIONS) {
        if (applied.has(migration.name)) continue;
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${schema}.pgw_migrations (name) VALUES ($1)`, [migration.name]);
      }
      await client.query('COMMIT');
      this.migrated = true;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async deliver(item: OutboxItem, provenance: Provenance): Promise<void> {
    if (!this.pool) throw new Error('postgres sink is not started');
    await this.migrate();
    const file = item.filePath === undefined ? null : await hashFile(item.filePath);
    await this.pool.query(
      `INSERT INTO ${this.options.schema}.artefacts
         (idempotency_key, kind, grp, gateway_id, enqueued_at, expires_at, content_type, body, file_bytes, file_sha256)
       VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0), $7, $8, $9, $10)
       ON CONFLICT (idempotency_key) DO UPDATE SET redeliveries = artefacts.redeliveries + 1`,
      [item.key, item.kind, item.group ?? null, provenance.gatewayId, provenance.enqueuedAt, item.expiresAt ?? null,
        item.contentType ?? null, item.body === undefined ? null : JSON.stringify(item.body), file?.bytes ?? null, file?.sha256 ?? null],
    );
  }

  async stop(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
