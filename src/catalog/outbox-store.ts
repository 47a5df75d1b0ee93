import { statSync } from 'node:fs';
import type { Clock } from '../shared/clock.js';
import type { OutboxItem, OutboxKind, OutboxPort } from '../shared/ports.js';
import type { CatalogDatabase } from './database.js';

/** What the store needs to know of a sink to fan an item out to it. */
export interface OutboxRoute {
  readonly name: string;
  accepts(kind: OutboxKind): boolean;
  /** Deliver each group in enqueue order: only the oldest pending item of a group is due. */
  readonly ordered: boolean;
}

export interface PendingItem extends OutboxItem {
  readonly id: number;
  readonly sink: string;
  readonly attempts: number;
  readonly createdAt: number;
}

export interface SinkBacklog {
  readonly sink: string;
  readonly backlog: number;
  readonly dead: number;
  readonly delivered: number;
  readonly oldestCreatedAt: number | null;
  readonly lastError: string | null;
}

export interface SpoolFileRow {
  readonly path: string;
  readonly bytes: number;
  readonly createdAt: number;
  /** Idempotency key, kind and group of the artefact the file carries (for hold checks). */
  readonly key: string;
  readonly kind: OutboxKind;
  readonly group: string | null;
}

interface ItemRow {
  id: number; sink: string; item_key: string; kind: OutboxKind; grp: string | null; body: string | null;
  file_path: string | null; content_type: string | null; expires_at: number | null; created_at: number; attempts: number;
}

const MAX_ERROR_CHARS = 500;

/**
 * SQL store of the durable outbox in the catalog. `enqueue` runs on the catalog's connection, so a producer that
 * calls it inside its own `db.transaction(...)` gets the artefact and its outbox rows committed (or rolled back)
 * together; `enqueueAtomically` is the same for callers without a transaction of their own.
 */
export class OutboxStore implements OutboxPort {
  private readonly statements;

  constructor(private readonly db: CatalogDatabase, private readonly routes: readonly OutboxRoute[], private readonly clock: Clock) {
    this.statements = {
      insert: db.prepare(`INSERT OR IGNORE INTO outbox_items (sink, item_key, kind, grp, body, file_path, content_type, expires_at, created_at, next_attempt_at)
        VALUES (@sink, @key, @kind, @grp, @body, @filePath, @contentType, @expiresAt, @now, @now)`),
      insertFile: db.prepare('INSERT OR IGNORE INTO outbox_spool_files (path, item_key, kind, grp, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      dueUnordered: db.prepare(`SELECT * FROM outbox_items WHERE sink = ? AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ?
        ORDER BY next_attempt_at, id LIMIT ?`),
      dueOrdered: db.prepare(`SELECT * FROM outbox_items o WHERE o.sink = ? AND o.delivered_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= ?
        AND (o.grp IS NULL OR o.id = (SELECT MIN(p.id) FROM outbox_items p WHERE p.sink = o.sink AND p.grp = o.grp AND p.delivered_at IS NULL AND p.dead_at IS NULL))
        ORDER BY o.id LIMIT ?`),
      delivered: db.prepare('UPDATE outbox_items SET delivered_at = ?, last_error = NULL WHERE id = ? AND delivered_at IS NULL'),
      failed: db.prepare('UPDATE outbox_items SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?'),
      dead: db.prepare('UPDATE outbox_items SET attempts = attempts + 1, dead_at = ?, last_error = ? WHERE id = ?'),
      dueNow: db.prepare('UPDATE outbox_items SET next_attempt_at = ? WHERE sink = ? AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at > ?'),
      nextDue: db.prepare('SELECT MIN(next_attempt_at) FROM outbox_items WHERE sink = ? AND delivered_at IS NULL AND dead_at IS NULL').pluck(),
      backlog: db.prepare(`SELECT
          SUM(CASE WHEN delivered_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END) AS backlog,
          SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) AS dead,
          SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered,
          MIN(CASE WHEN delivered_at IS NULL THEN created_at END) AS oldest
        FROM outbox_items WHERE sink = ?`),
      lastError: db.prepare(`SELECT last_error FROM outbox_items WHERE sink = ? AND last_error IS NOT NULL AND delivered_at IS NULL
        ORDER BY next_attempt_at DESC LIMIT 1`).pluck(),
      evictable: db.prepare(`SELECT f.path, f.bytes, f.created_at AS createdAt, f.item_key AS key, f.kind, f.grp AS "group"
        FROM outbox_spool_files f WHERE f.evicted_at IS NULL AND f.created_at <= ?
        AND NOT EXISTS (SELECT 1 FROM outbox_items p WHERE p.file_path = f.path AND p.delivered_at IS NULL)
        ORDER BY f.created_at LIMIT ?`),
      evicted: db.prepare('UPDATE outbox_spool_files SET evicted_at = ? WHERE path = ?'),
      referenced: db.prepare('SELECT 1 FROM outbox_spool_files WHERE path = ? AND evicted_at IS NULL').pluck(),
      prune: db.prepare(`DELETE FROM outbox_items WHERE delivered_at IS NOT NULL AND delivered_at <= ?
        AND (file_path IS NULL OR file_path IN (SELECT path FROM outbox_spool_files WHERE evicted_at IS NOT NULL))`),
      pruneFiles: db.prepare(`DELETE FROM outbox_spool_files WHERE evicted_at IS NOT NULL AND evicted_at <= ?
        AND NOT EXISTS (SELECT 1 FROM outbox_items i WHERE i.file_path = outbox_spool_files.path)`),
    };
  }

  get sinkNames(): string[] {
    return this.routes.map((route) => route.name);
  }

  /** Records the item for every sink that accepts its kind; enqueueing the same key again is a no-op. */
  enqueue(item: OutboxItem): void {
    const now = this.clock.now();
    const body = item.body === undefined ? null : JSON.stringify(item.body);
    if (item.filePath !== undefined) {
      // Recorded even when no sink takes the kind: the file is then acknowledged and kept for local retention.
      this.statements.insertFile.run(item.filePath, item.key, item.kind, item.group ?? null, statSync(item.filePath).size, now);
    }
    for (const route of this.routes) {
      if (!route.accepts(item.kind)) continue;
      this.statements.insert.run({
        sink: route.name, key: item.key, kind: item.kind, grp: item.group ?? null, body, filePath: item.filePath ?? null,
        contentType: item.contentType ?? null, expiresAt: item.expiresAt ?? null, now,
      });
    }
  }

  /** Runs `record` (which writes the artefact) and enqueues `items` in one transaction. */
  enqueueAtomically<T>(record: () => T, items: readonly OutboxItem[]): T {
    return this.db.transaction(() => {
      const result = record();
      for (const item of items) this.enqueue(item);
      return result;
    })();
  }

  due(sink: string, limit: number): PendingItem[] {
    const route = this.routes.find((candidate) => candidate.name === sink);
    const statement = route?.ordered ? this.statements.dueOrdered : this.statements.dueUnordered;
    return (statement.all(sink, this.clock.now(), limit) as ItemRow[]).map(toPending);
  }

  markDelivered(id: number): void {
    this.statements.delivered.run(this.clock.now(), id);
  }

  markFailed(id: number, error: string, nextAttemptAt: number): void {
    this.statements.failed.run(nextAttemptAt, error.slice(0, MAX_ERROR_CHARS), id);
  }

  /** A permanent failure (e.g. the spooled payload is gone): kept, counted as dead, never evicted silently. */
  markDead(id: number, error: string): void {
    this.statements.dead.run(this.clock.now(), error.slice(0, MAX_ERROR_CHARS), id);
  }

  /** Makes every waiting retry of `sink` due now (drain before maintenance). */
  makeDueNow(sink: string): void {
    const now = this.clock.now();
    this.statements.dueNow.run(now, sink, now);
  }

  nextDueAt(sink: string): number | null {
    return (this.statements.nextDue.get(sink) as number | null) ?? null;
  }

  backlog(sink: string): SinkBacklog {
    const row = this.statements.backlog.get(sink) as { backlog: number | null; dead: number | null; delivered: number | null; oldest: number | null };
    return {
      sink,
      backlog: row.backlog ?? 0,
      dead: row.dead ?? 0,
      delivered: row.delivered ?? 0,
      oldestCreatedAt: row.oldest,
      lastError: (this.statements.lastError.get(sink) as string | undefined) ?? null,
    };
  }

  /** Spooled files that every sink has delivered and that were created at or before `createdBefore`, oldest first. */
  evictableFiles(createdBefore: number, limit: number): SpoolFileRow[] {
    return this.statements.evictable.all(createdBefore, limit) as SpoolFileRow[];
  }

  markEvicted(path: string): void {
    this.statements.evicted.run(this.clock.now(), path);
  }

  isSpoolFileReferenced(path: string): boolean {
    return this.statements.referenced.get(path) !== undefined;
  }

  /** Deletes delivered rows older than `deliveredBefore` whose payload is no longer on the box. */
  pruneDelivered(deliveredBefore: number): number {
    return this.db.transaction(() => {
      const items = this.statements.prune.run(deliveredBefore).changes;
      this.statements.pruneFiles.run(deliveredBefore);
      return items;
    })();
  }
}

function toPending(row: ItemRow): PendingItem {
  return {
    id: row.id,
    sink: row.sink,
    key: row.item_key,
    kind: row.kind,
    attempts: row.attempts,
    createdAt: row.created_at,
    ...(row.grp !== null && { group: row.grp }),
    ...(row.body !== null && { body: JSON.parse(row.body) as Record<string, unknown> }),
    ...(row.file_path !== null && { filePath: row.file_path }),
    ...(row.content_type !== null && { contentType: row.content_type }),
    ...(row.expires_at !== null && { expiresAt: row.expires_at }),
  };
}
