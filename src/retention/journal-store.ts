import type { CatalogDatabase } from '../catalog/database.js';
import type { RetainedItem } from './types.js';

/**
 * The deletion journal: every deletion is decided (pending), audited, then erased, and each step is
 * committed (WAL, synchronous=FULL) before the next starts. After a crash the open entries tell the
 * next sweep exactly where each item stood.
 */
export type DeletionState = 'pending' | 'audited' | 'erased' | 'cancelled';

export interface DeletionEntry {
  readonly id: number;
  readonly itemKey: string;
  readonly source: string;
  readonly item: RetainedItem;
  readonly ruleId: string;
  readonly expiresAt: number;
  readonly sweepId: string;
  readonly state: DeletionState;
  readonly decidedAt: number;
}

interface DeletionRow {
  id: number;
  item_key: string;
  source: string;
  item_json: string;
  rule_id: string;
  expires_at: number;
  sweep_id: string;
  state: DeletionState;
  decided_at: number;
}

export interface SweepRun {
  readonly id: string;
  readonly startedAt: number;
  readonly effectiveNow: number;
  readonly wallNow: number;
  readonly clockClamped: boolean;
  readonly rulesVersion: number;
}

export function itemKey(source: string, item: RetainedItem): string {
  return `${source}:${item.dataClass}:${item.id}`;
}

function fromRow(row: DeletionRow): DeletionEntry {
  return {
    id: row.id,
    itemKey: row.item_key,
    source: row.source,
    item: JSON.parse(row.item_json) as RetainedItem,
    ruleId: row.rule_id,
    expiresAt: row.expires_at,
    sweepId: row.sweep_id,
    state: row.state,
    decidedAt: row.decided_at,
  };
}

export class DeletionJournal {
  constructor(private readonly db: CatalogDatabase) {}

  /** Entries a crashed or refused sweep left unfinished, oldest first. */
  open(): DeletionEntry[] {
    const rows = this.db.prepare("SELECT * FROM retention_deletions WHERE state IN ('pending', 'audited') ORDER BY id").all() as DeletionRow[];
    return rows.map(fromRow);
  }

  decide(entry: Omit<DeletionEntry, 'id' | 'state'>): DeletionEntry {
    const result = this.db
      .prepare(
        `INSERT INTO retention_deletions (item_key, source, item_json, rule_id, expires_at, sweep_id, state, decided_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
      )
      .run(entry.itemKey, entry.source, JSON.stringify(entry.item), entry.ruleId, entry.expiresAt, entry.sweepId, entry.decidedAt);
    return { ...entry, id: Number(result.lastInsertRowid), state: 'pending' };
  }

  /**
   * Runs `fn` in one catalog transaction. An audit log in the same catalog (the gateway's) then commits
   * or rolls back together with the journal change; a separate one relies on idempotency keys.
   */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  markAudited(id: number): void {
    this.db.prepare("UPDATE retention_deletions SET state = 'audited' WHERE id = ? AND state = 'pending'").run(id);
  }

  finish(id: number, state: 'erased' | 'cancelled', at: number): void {
    this.db.prepare('UPDATE retention_deletions SET state = ?, finished_at = ? WHERE id = ?').run(state, at, id);
  }

  /** Drops finished entries and sweep runs older than `before`; the audit log keeps the permanent record. */
  prune(before: number): number {
    const sweeps = this.db.prepare('DELETE FROM retention_sweeps WHERE finished_at IS NOT NULL AND finished_at < ?').run(before).changes;
    return sweeps + this.db.prepare('DELETE FROM retention_deletions WHERE finished_at IS NOT NULL AND finished_at < ?').run(before).changes;
  }
}

export class SweepRunStore {
  constructor(private readonly db: CatalogDatabase) {}

  start(run: SweepRun): void {
    this.db
      .prepare('INSERT INTO retention_sweeps (id, started_at, effective_now, wall_now, clock_clamped, rules_version) VALUES (?, ?, ?, ?, ?, ?)')
      .run(run.id, run.startedAt, run.effectiveNow, run.wallNow, run.clockClamped ? 1 : 0, run.rulesVersion);
  }

  finish(id: string, at: number, outcome: string, summary: object): void {
    this.db.prepare('UPDATE retention_sweeps SET finished_at = ?, outcome = ?, summary_json = ? WHERE id = ?').run(at, outcome, JSON.stringify(summary), id);
  }

  /** Closes sweeps that started and never finished (the process died during them); returns how many. */
  closeInterrupted(at: number): number {
    return this.db.prepare("UPDATE retention_sweeps SET finished_at = ?, outcome = 'interrupted' WHERE finished_at IS NULL").run(at).changes;
  }
}
