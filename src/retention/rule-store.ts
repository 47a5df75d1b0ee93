import type { CatalogDatabase } from '../catalog/database.js';
import type { RetentionRule } from './types.js';

/** One saved rule set. Version 0 is the empty set before any operator change (class defaults apply). */
export interface RuleSetVersion {
  readonly version: number;
  readonly rules: readonly RetentionRule[];
  readonly changedBy: string;
  readonly changedAt: number;
  readonly comment?: string;
}

interface RuleRow {
  version: number;
  rules_json: string;
  changed_by: string;
  changed_at: number;
  comment: string | null;
}

const INITIAL: RuleSetVersion = { version: 0, rules: [], changedBy: 'system:defaults', changedAt: 0 };

function fromRow(row: RuleRow): RuleSetVersion {
  const base = { version: row.version, rules: JSON.parse(row.rules_json) as RetentionRule[], changedBy: row.changed_by, changedAt: row.changed_at };
  return row.comment === null ? base : { ...base, comment: row.comment };
}

/** Every change to the rules is a new immutable version; nothing is updated in place. */
export class RuleStore {
  constructor(private readonly db: CatalogDatabase) {}

  current(): RuleSetVersion {
    const row = this.db.prepare('SELECT * FROM retention_rule_versions ORDER BY version DESC LIMIT 1').get() as RuleRow | undefined;
    return row ? fromRow(row) : INITIAL;
  }

  get(version: number): RuleSetVersion | undefined {
    if (version === 0) return INITIAL;
    const row = this.db.prepare('SELECT * FROM retention_rule_versions WHERE version = ?').get(version) as RuleRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Appends version `current + 1`. Callers validate first. */
  append(rules: readonly RetentionRule[], changedBy: string, changedAt: number, comment?: string): RuleSetVersion {
    const version = this.current().version + 1;
    this.db
      .prepare('INSERT INTO retention_rule_versions (version, rules_json, changed_by, changed_at, comment) VALUES (?, ?, ?, ?, ?)')
      .run(version, JSON.stringify(rules), changedBy, changedAt, comment ?? null);
    return comment === undefined ? { version, rules, changedBy, changedAt } : { version, rules, changedBy, changedAt, comment };
  }
}
