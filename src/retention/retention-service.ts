import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import type { AuditEvent, AuditPort, ExpiryPort, ForwardedObject } from '../shared/ports.js';
import type { Principal } from '../shared/types.js';
import type { HoldStore } from './hold-store.js';
import { expiryOf, holdIsActive, holdsCovering, validateRules, type SweepPlan } from './policy.js';
import type { RuleSetVersion, RuleStore } from './rule-store.js';
import type { RetentionSweeper, SweepSummary } from './sweeper.js';
import type { LegalHold, RetentionLimits, RetentionRule } from './types.js';

export interface RetentionServiceDependencies {
  rules: RuleStore;
  holds: HoldStore;
  sweeper: RetentionSweeper;
  audit: AuditPort;
  limits: RetentionLimits;
  clock: Clock;
  /** Runs a change and its audit record in one catalog transaction. */
  atomically: <T>(fn: () => T) => T;
}

export interface RuleChange {
  readonly rules: readonly RetentionRule[];
  /** Optimistic concurrency: the version the caller edited; a newer one answers 409. */
  readonly baseVersion?: number;
  readonly comment?: string;
}

/** What an approver asks for; the service adds the id, who placed it and when. */
export type HoldRequest = Pick<LegalHold, 'cameraIds' | 'fromMs' | 'toMs' | 'caseNumber' | 'reason' | 'expiresAt'>;

export type HoldStatus = 'active' | 'lifted' | 'expired';
export type HoldRecord = LegalHold & { readonly status: HoldStatus };

const HOLD_ID_BYTES = 16;

/** Audit records stay small: at most this many rule ids per list (the full set is in the stored version). */
const MAX_IDS_IN_AUDIT = 25;

function ruleDiff(before: readonly RetentionRule[], after: readonly RetentionRule[]): Record<string, unknown> {
  const old = new Map(before.map((rule) => [rule.id, JSON.stringify(rule)]));
  const next = new Map(after.map((rule) => [rule.id, JSON.stringify(rule)]));
  const added = [...next.keys()].filter((id) => !old.has(id));
  const removed = [...old.keys()].filter((id) => !next.has(id));
  const changed = [...next.entries()].filter(([id, json]) => old.has(id) && old.get(id) !== json).map(([id]) => id);
  const truncated = Math.max(added.length, removed.length, changed.length) > MAX_IDS_IN_AUDIT;
  const cap = (ids: string[]) => ids.slice(0, MAX_IDS_IN_AUDIT);
  return { added: cap(added), removed: cap(removed), changed: cap(changed), ...(truncated ? { idsTruncated: true } : {}) };
}

function holdObject(id: string): string {
  return `hold:${id}`;
}

function holdPlacedEvent(principal: Principal, hold: LegalHold): AuditEvent {
  return {
    actor: principal.subject,
    role: principal.roles.join(','),
    action: 'hold.place',
    object: holdObject(hold.id),
    outcome: 'success',
    details: {
      caseNumber: hold.caseNumber,
      reason: hold.reason,
      cameraIds: hold.cameraIds,
      from: new Date(hold.fromMs).toISOString(),
      to: new Date(hold.toMs).toISOString(),
      ...(hold.expiresAt === undefined ? {} : { expiresAt: new Date(hold.expiresAt).toISOString() }),
    },
  };
}

/**
 * Rules, holds and preview for the API. Every change and its audit record are written in one catalog
 * transaction, audit first: a change that cannot be audited does not happen (the audit port throws
 * PGW_ERR_AUDIT_UNAVAILABLE → 503).
 */
export class RetentionService implements ExpiryPort {
  constructor(private readonly deps: RetentionServiceDependencies) {}

  get limits(): RetentionLimits {
    return this.deps.limits;
  }

  ruleSet(version?: number): RuleSetVersion {
    if (version === undefined) return this.deps.rules.current();
    const found = this.deps.rules.get(version);
    if (!found) throw new GatewayError('PGW_ERR_NOT_FOUND', `retention rules version ${version} does not exist`, { version });
    return found;
  }

  replaceRules(principal: Principal, change: RuleChange): RuleSetVersion {
    const current = this.deps.rules.current();
    if (change.baseVersion !== undefined && change.baseVersion !== current.version) {
      throw new GatewayError('PGW_ERR_CONFLICT', `rules were changed since version ${change.baseVersion}; the current version is ${current.version}`, {
        baseVersion: change.baseVersion,
        currentVersion: current.version,
      });
    }
    const problems = validateRules(change.rules, this.deps.limits);
    if (problems.length > 0) {
      throw new GatewayError('PGW_ERR_RETENTION_RULES_INVALID', problems.map((problem) => problem.message).join('; '), { errors: problems });
    }
    const version = current.version + 1;
    const event: AuditEvent = {
      actor: principal.subject,
      role: principal.roles.join(','),
      action: 'retention.rules.update',
      object: `retention-rules:v${version}`,
      outcome: 'success',
      details: { version, previousVersion: current.version, ruleCount: change.rules.length, ...ruleDiff(current.rules, change.rules), ...(change.comment ? { comment: change.comment } : {}) },
    };
    return this.deps.atomically(() => {
      this.deps.audit.append(event);
      return this.deps.rules.append(change.rules, principal.subject, this.deps.clock.now(), change.comment);
    });
  }

  /** What the sweep at `untilMs` deletes and what holds protect (the same function the sweep runs). */
  preview(untilMs: number): Promise<SweepPlan> {
    return this.deps.sweeper.planAt(untilMs);
  }

  sweepNow(): Promise<SweepSummary> {
    return this.deps.sweeper.sweep();
  }

  /** Whether an active legal hold covers the item now (eviction and uplink never drop held data). */
  isHeld(item: ForwardedObject): boolean {
    return holdsCovering(item, this.deps.holds.unlifted(), this.deps.clock.now()).length > 0;
  }

  listHolds(): HoldRecord[] {
    return this.deps.holds.list().map((hold) => this.withStatus(hold));
  }

  hold(id: string): HoldRecord {
    const hold = this.deps.holds.get(id);
    if (!hold) throw new GatewayError('PGW_ERR_NOT_FOUND', `no legal hold ${id}`, { holdId: id });
    return this.withStatus(hold);
  }

  private withStatus(hold: LegalHold): HoldRecord {
    if (hold.liftedAt !== undefined) return { ...hold, status: 'lifted' };
    return { ...hold, status: holdIsActive(hold, this.deps.clock.now()) ? 'active' : 'expired' };
  }

  placeHold(principal: Principal, request: HoldRequest): HoldRecord {
    const now = this.deps.clock.now();
    if (request.toMs <= request.fromMs) throw new GatewayError('PGW_ERR_HOLD_INVALID', 'the hold window must end after it starts', { errors: [{ path: '/to', message: 'must be after from' }] });
    if (request.expiresAt !== undefined && request.expiresAt <= now) {
      throw new GatewayError('PGW_ERR_HOLD_INVALID', 'the hold would already have expired', { errors: [{ path: '/expiresAt', message: 'must be in the future' }] });
    }
    const hold: LegalHold = {
      id: `hold_${randomBytes(HOLD_ID_BYTES).toString('hex')}`,
      cameraIds: [...new Set(request.cameraIds)],
      fromMs: request.fromMs,
      toMs: request.toMs,
      caseNumber: request.caseNumber,
      reason: request.reason,
      ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt }),
      placedBy: principal.subject,
      placedAt: now,
    };
    this.deps.atomically(() => {
      this.deps.audit.append(holdPlacedEvent(principal, hold));
      this.deps.holds.insert(hold);
    });
    return this.withStatus(hold);
  }

  liftHold(principal: Principal, id: string, reason: string): HoldRecord {
    const hold = this.hold(id);
    if (hold.liftedAt !== undefined) throw new GatewayError('PGW_ERR_CONFLICT', `legal hold ${id} was already lifted`, { holdId: id });
    this.deps.atomically(() => {
      this.deps.audit.append({ actor: principal.subject, role: principal.roles.join(','), action: 'hold.lift', object: holdObject(id), outcome: 'success', details: { caseNumber: hold.caseNumber, reason } });
      if (!this.deps.holds.lift(id, principal.subject, this.deps.clock.now(), reason)) {
        throw new GatewayError('PGW_ERR_CONFLICT', `legal hold ${id} was already lifted`, { holdId: id });
      }
    });
    return this.hold(id);
  }

  /** The expiry to attach to a forwarded copy of `item` (uplink `expiresAt`), under the current rules. */
  forwardingExpiry(item: ForwardedObject): { expiresAt: number; legalHold: boolean } {
    const now = this.deps.clock.now();
    const { expiresAt } = expiryOf(item, this.deps.rules.current().rules, this.deps.limits);
    return { expiresAt, legalHold: holdsCovering(item, this.deps.holds.unlifted(), now).length > 0 };
  }
}
