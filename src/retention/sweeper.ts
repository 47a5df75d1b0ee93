import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { GatewayError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort } from '../shared/ports.js';
import type { HoldStore } from './hold-store.js';
import { itemKey, type DeletionEntry, type DeletionJournal, type SweepRunStore } from './journal-store.js';
import { candidateCutoff, expiryOf, holdsCovering, planSweep, type SweepPlan } from './policy.js';
import type { RuleStore } from './rule-store.js';
import { SweepClock } from './sweep-clock.js';
import type { DataClass, LegalHold, RetainedItem, RetentionLimits, RetentionRule, RetentionSource } from './types.js';

/**
 * Steps of a sweep, reported to an observer right after each durable write: journal entry committed
 * (`decided`), audit record appended (`audit-appended`), journal marked (`audited`), item erased
 * (`item-erased`), journal finished (`erased`), sweep summary about to be / appended.
 */
export type SweepStep = 'decided' | 'audit-appended' | 'audited' | 'item-erased' | 'erased' | 'summarizing' | 'summary-appended';

export interface SweeperOptions {
  intervalMs: number;
  clockJumpToleranceMs: number;
  journalKeepHours: number;
  /** Observer called after each durable step (metrics, tracing; tests use it to inject crashes). */
  onStep?: (step: SweepStep, key: string) => void;
}

export interface SweeperDependencies {
  rules: RuleStore;
  holds: HoldStore;
  journal: DeletionJournal;
  runs: SweepRunStore;
  sources: readonly RetentionSource[];
  audit: AuditPort;
  limits: RetentionLimits;
  clock: Clock;
  logger: Logger;
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly at: number;
  readonly wallClock: number;
  readonly clockClamped: boolean;
  readonly rulesVersion: number;
  readonly deleted: number;
  readonly resumed: number;
  readonly cancelled: number;
  readonly held: number;
  readonly failed: number;
  readonly deletedByClass: Partial<Record<DataClass, number>>;
}

interface SweepTally {
  deleted: number;
  resumed: number;
  cancelled: number;
  held: number;
  failed: number;
  deletedByClass: Partial<Record<DataClass, number>>;
}

const ACTOR = 'system:retention';
const HOUR_MS = 3_600_000;
/** Deletions per journal/audit transaction: fewer fsyncs per item, and a bounded amount of work per commit. */
const BATCH_SIZE = 100;

interface Work {
  readonly entry: DeletionEntry;
  readonly source: RetentionSource;
}

/**
 * Deletes expired items at startup and every interval. Each deletion is journalled, audited (with an
 * idempotent key) and only then erased, so no item is erased without an audit record and a rerun after
 * `kill -9` finishes what was started without appending a second record.
 */
export class RetentionSweeper {
  private readonly sweepClock: SweepClock;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly deps: SweeperDependencies,
    private readonly options: SweeperOptions,
  ) {
    this.sweepClock = new SweepClock(deps.clock, options.clockJumpToleranceMs);
    this.log = deps.logger.child({ module: 'retention' });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
  }

  /** What a sweep at `at` deletes and what holds protect; the sweep itself uses this same function. */
  async planAt(at: number): Promise<SweepPlan> {
    const rules = this.deps.rules.current().rules;
    const { items } = await this.collect(at, rules);
    return planSweep(items, rules, this.deps.holds.unlifted(), this.deps.limits, at);
  }

  /** Candidates of every source, remembering which source listed each item (its eraser). */
  private async collect(at: number, rules: readonly RetentionRule[]): Promise<{ items: RetainedItem[]; sourceOf: Map<RetainedItem, RetentionSource> }> {
    const items: RetainedItem[] = [];
    const sourceOf = new Map<RetainedItem, RetentionSource>();
    for (const source of this.deps.sources) {
      for (const dataClass of source.dataClasses) {
        for (const item of await source.list(dataClass, candidateCutoff(dataClass, rules, this.deps.limits, at))) {
          items.push(item);
          sourceOf.set(item, source);
        }
      }
    }
    return { items, sourceOf };
  }

  /** Runs one sweep now (after any sweep in progress). Throws PGW_ERR_AUDIT_UNAVAILABLE when it had to stop. */
  sweep(): Promise<SweepSummary> {
    const next = this.chain.then(() => this.runSweep());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweep().then(
        () => this.schedule(this.options.intervalMs),
        (error: unknown) => {
          if (isGatewayError(error) && error.code === 'PGW_ERR_AUDIT_UNAVAILABLE') this.log.warn({ code: error.code }, 'retention sweep refused: audit log unavailable');
          else this.log.error({ err: error }, 'retention sweep failed');
          this.schedule(this.options.intervalMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  private async runSweep(): Promise<SweepSummary> {
    const instant = this.sweepClock.instant();
    if (instant.clamped) this.log.warn({ wallNow: instant.wallNow, estimatedNow: instant.estimatedNow }, 'wall clock ahead of monotonic estimate; sweeping with the estimate');
    const ruleSet = this.deps.rules.current();
    const sweepId = randomUUID();
    const interrupted = this.deps.runs.closeInterrupted(instant.wallNow);
    if (interrupted > 0) this.log.warn({ interrupted }, 'previous retention sweep was interrupted; resuming its journal');
    this.deps.runs.start({ id: sweepId, startedAt: instant.wallNow, effectiveNow: instant.now, wallNow: instant.wallNow, clockClamped: instant.clamped, rulesVersion: ruleSet.version });
    const tally: SweepTally = { deleted: 0, resumed: 0, cancelled: 0, held: 0, failed: 0, deletedByClass: {} };
    const summaryOf = (): SweepSummary => ({ sweepId, at: instant.now, wallClock: instant.wallNow, clockClamped: instant.clamped, rulesVersion: ruleSet.version, ...tally });
    try {
      const holds = this.deps.holds.unlifted();
      const resumedKeys = await this.resumeOpen(sweepId, ruleSet.rules, holds, instant.now, tally);
      const { items, sourceOf } = await this.collect(instant.now, ruleSet.rules);
      const plan = planSweep(items, ruleSet.rules, holds, this.deps.limits, instant.now);
      tally.held = plan.held.length;
      await this.deleteDue(plan, sourceOf, resumedKeys, sweepId, instant.now, tally);
      this.step('summarizing', sweepId);
      const summary = summaryOf();
      this.deps.journal.atomically(() => {
        this.deps.audit.append({ actor: ACTOR, action: 'retention.sweep', object: `sweep:${sweepId}`, outcome: 'success', details: this.auditSummary(summary), idempotencyKey: `retention.sweep:${sweepId}` });
        this.step('summary-appended', sweepId);
        this.deps.runs.finish(sweepId, this.deps.clock.now(), 'completed', summary);
      });
      this.deps.journal.prune(instant.now - this.options.journalKeepHours * HOUR_MS);
      if (summary.deleted > 0 || summary.failed > 0) this.log.info({ deleted: summary.deleted, held: summary.held, failed: summary.failed }, 'retention sweep finished');
      return summary;
    } catch (error) {
      const outcome = isGatewayError(error) && error.code === 'PGW_ERR_AUDIT_UNAVAILABLE' ? 'refused:audit-unavailable' : 'failed';
      this.deps.runs.finish(sweepId, this.deps.clock.now(), outcome, summaryOf());
      throw error;
    }
  }

  /** Journals, audits and erases the plan's due items in batches (items a resumed entry covers are skipped). */
  private async deleteDue(plan: SweepPlan, sourceOf: ReadonlyMap<RetainedItem, RetentionSource>, resumedKeys: ReadonlySet<string>, sweepId: string, now: number, tally: SweepTally): Promise<void> {
    const fresh = plan.due.flatMap(({ item, expiry }) => {
      const source = sourceOf.get(item);
      if (!source) throw new GatewayError('PGW_ERR_INTERNAL', 'planned item has no source', { itemId: item.id });
      const key = itemKey(source.name, item);
      return resumedKeys.has(key) ? [] : [{ item, expiry, source, key }];
    });
    for (let start = 0; start < fresh.length; start += BATCH_SIZE) {
      const batch = fresh.slice(start, start + BATCH_SIZE);
      const work = this.deps.journal.atomically(() =>
        batch.map(({ item, expiry, source, key }) => ({
          source,
          entry: this.deps.journal.decide({ itemKey: key, source: source.name, item, ruleId: expiry.ruleId, expiresAt: expiry.expiresAt, sweepId, decidedAt: now }),
        })),
      );
      for (const { entry } of work) this.step('decided', entry.itemKey);
      await this.completeBatch(work, tally);
    }
  }

  /** Finishes deletions a previous sweep left open; pending ones are re-decided under today's rules and holds. */
  private async resumeOpen(sweepId: string, rules: readonly RetentionRule[], holds: readonly LegalHold[], now: number, tally: SweepTally): Promise<Set<string>> {
    const keys = new Set<string>();
    const resumable: Work[] = [];
    for (const entry of this.deps.journal.open()) {
      keys.add(entry.itemKey);
      const source = this.deps.sources.find((candidate) => candidate.name === entry.source);
      if (!source) {
        tally.failed += 1;
        this.log.error({ source: entry.source, itemKey: entry.itemKey }, 'journalled deletion names an unknown source');
        continue;
      }
      tally.resumed += 1;
      const stillDue = now >= expiryOf(entry.item, rules, this.deps.limits).expiresAt && holdsCovering(entry.item, holds, now).length === 0;
      if (entry.state === 'pending' && !stillDue) {
        this.deps.journal.atomically(() => {
          this.deps.audit.append({
            actor: ACTOR, action: 'retention.delete.cancelled', object: objectOf(entry.item), outcome: 'success',
            details: { sweepId, decidedBy: entry.sweepId, reason: 'no longer due under current rules and holds' },
            idempotencyKey: `retention.delete.cancelled:${entry.itemKey}:${entry.item.recordedAt}`,
          });
          this.deps.journal.finish(entry.id, 'cancelled', now);
        });
        tally.cancelled += 1;
        continue;
      }
      resumable.push({ entry, source });
    }
    for (let start = 0; start < resumable.length; start += BATCH_SIZE) await this.completeBatch(resumable.slice(start, start + BATCH_SIZE), tally);
    return keys;
  }

  /**
   * pending → audited → erased for a batch: one transaction audits every pending entry, then each item is
   * erased, then one transaction finishes the journal. An item is never erased before its audit record
   * is committed. An audit failure stops the sweep; an erase failure leaves the entry for the next one.
   */
  private async completeBatch(work: readonly Work[], tally: SweepTally): Promise<void> {
    const pending = work.filter(({ entry }) => entry.state === 'pending');
    if (pending.length > 0) {
      this.deps.journal.atomically(() => {
        for (const { entry } of pending) {
          this.deps.audit.append(this.deletionEvent(entry));
          this.step('audit-appended', entry.itemKey);
          this.deps.journal.markAudited(entry.id);
        }
      });
      for (const { entry } of pending) this.step('audited', entry.itemKey);
    }
    const erased: DeletionEntry[] = [];
    for (const { entry, source } of work) {
      try {
        await source.erase(entry.item);
      } catch (error) {
        tally.failed += 1;
        this.log.error({ err: error, itemKey: entry.itemKey }, 'retention erase failed; retried next sweep');
        continue;
      }
      this.step('item-erased', entry.itemKey);
      erased.push(entry);
    }
    const finishedAt = this.deps.clock.now();
    this.deps.journal.atomically(() => {
      for (const entry of erased) this.deps.journal.finish(entry.id, 'erased', finishedAt);
    });
    for (const entry of erased) {
      tally.deleted += 1;
      tally.deletedByClass[entry.item.dataClass] = (tally.deletedByClass[entry.item.dataClass] ?? 0) + 1;
      this.step('erased', entry.itemKey);
    }
  }

  private deletionEvent(entry: DeletionEntry) {
    const { item } = entry;
    return {
      actor: ACTOR,
      action: 'retention.delete',
      object: objectOf(item),
      outcome: 'success' as const,
      details: {
        dataClass: item.dataClass,
        source: entry.source,
        ...(item.cameraId === undefined ? {} : { cameraId: item.cameraId }),
        recordedAt: new Date(item.recordedAt).toISOString(),
        expiresAt: new Date(entry.expiresAt).toISOString(),
        rule: entry.ruleId,
        reason: `maximum age reached under rule ${entry.ruleId}`,
        method: item.dataClass === 'original' ? 'crypto-shred' : 'delete',
        sweepId: entry.sweepId,
      },
      idempotencyKey: `retention.delete:${entry.itemKey}:${item.recordedAt}`,
    };
  }

  private auditSummary(summary: SweepSummary): Record<string, unknown> {
    return { ...summary, at: new Date(summary.at).toISOString(), wallClock: new Date(summary.wallClock).toISOString() };
  }

  private step(step: SweepStep, key: string): void {
    this.options.onStep?.(step, key);
  }
}

function objectOf(item: RetainedItem): string {
  return `${item.dataClass}:${item.id}`;
}
