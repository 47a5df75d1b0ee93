import { randomBytes } from 'node:crypto';
import type { CatalogDatabase } from '../catalog/database.js';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import type { AuditPort } from '../shared/ports.js';
import type { Principal, Role } from '../shared/types.js';
import { AccessStore, type AccessRequestRecord, type AccessStatus } from './access-store.js';

export interface AccessPolicy {
  readonly maxWindowHours: number;
  readonly maxCameras: number;
  readonly defaultGrantHours: number;
  readonly maxGrantHours: number;
  readonly requireMfaForApproval: boolean;
  readonly requireMfaForExport: boolean;
  readonly mfaMethods: readonly string[];
}

export interface AccessRequestInput {
  readonly cameras: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly caseNumber: string;
  readonly purpose: string;
}

export interface AccessRequestView {
  id: string;
  requester: string;
  cameras: string[];
  from: string;
  to: string;
  caseNumber: string;
  purpose: string;
  status: AccessStatus;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  grantExpiresAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
}

const HOUR_MS = 3_600_000;
/** Roles that see every request (oversight); investigators see only their own. */
const OVERSIGHT_ROLES: readonly Role[] = ['approver', 'auditor', 'admin'];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function viewOf(record: AccessRequestRecord): AccessRequestView {
  return {
    id: record.id,
    requester: record.requester,
    cameras: [...record.cameras],
    from: new Date(record.fromMs).toISOString(),
    to: new Date(record.toMs).toISOString(),
    caseNumber: record.caseNumber,
    purpose: record.purpose,
    status: record.status,
    createdAt: new Date(record.createdAt).toISOString(),
    decidedBy: record.decidedBy,
    decidedAt: iso(record.decidedAt),
    decisionReason: record.decisionReason,
    grantExpiresAt: iso(record.grantExpiresAt),
    revokedBy: record.revokedBy,
    revokedAt: iso(record.revokedAt),
  };
}

/** Subjects compare case- and whitespace-insensitively, so `Alice` through another token is still Alice. */
export function sameSubject(a: string, b: string): boolean {
  return a.trim().normalize('NFKC').toLowerCase() === b.trim().normalize('NFKC').toLowerCase();
}

export function hasMfa(principal: Principal, policy: AccessPolicy): boolean {
  return principal.authMethods.some((method) => policy.mfaMethods.includes(method));
}

function parseTime(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new GatewayError('PGW_ERR_VALIDATION', `${field} is not an ISO 8601 time`, { field });
  return ms;
}

/** Unredacted access requests, the four-eyes decision on them and the grants they open (P5). */
export class AccessService {
  readonly store: AccessStore;

  constructor(
    private readonly db: CatalogDatabase,
    private readonly audit: AuditPort,
    private readonly clock: Clock,
    readonly policy: AccessPolicy,
  ) {
    this.store = new AccessStore(db);
  }

  create(principal: Principal, input: AccessRequestInput): AccessRequestView {
    const fromMs = parseTime(input.from, 'from');
    const toMs = parseTime(input.to, 'to');
    if (toMs <= fromMs) throw new GatewayError('PGW_ERR_VALIDATION', 'to must be after from');
    if (toMs - fromMs > this.policy.maxWindowHours * HOUR_MS) {
      throw new GatewayError('PGW_ERR_VALIDATION', `the time window may not exceed ${this.policy.maxWindowHours} h`, { maxWindowHours: this.policy.maxWindowHours });
    }
    const cameras = [...new Set(input.cameras)].sort();
    if (cameras.length === 0 || cameras.length > this.policy.maxCameras) {
      throw new GatewayError('PGW_ERR_VALIDATION', `name between 1 and ${this.policy.maxCameras} cameras`);
    }
    const record: AccessRequestRecord = {
      id: randomBytes(16).toString('base64url'),
      requester: principal.subject,
      cameras,
      fromMs,
      toMs,
      caseNumber: input.caseNumber,
      purpose: input.purpose,
      status: 'pending',
      createdAt: this.clock.now(),
      decidedBy: null,
      decidedAt: null,
      decisionReason: null,
      grantExpiresAt: null,
      revokedBy: null,
      revokedAt: null,
    };
    this.db.transaction(() => {
      this.store.insert(record);
      this.auditRequest(principal, 'access.request', record, 'success');
    })();
    return viewOf(record);
  }

  list(principal: Principal, filter: { status?: AccessStatus; limit: number; offset: number }): AccessRequestView[] {
    const oversight = principal.roles.some((role) => OVERSIGHT_ROLES.includes(role));
    return this.store.list({ ...filter, ...(oversight ? {} : { requester: principal.subject }) }).map(viewOf);
  }

  get(principal: Principal, id: string): AccessRequestView {
    return viewOf(this.visible(principal, id));
  }

  approve(principal: Principal, id: string, options: { grantHours?: number; reason?: string }): AccessRequestView {
    const record = this.decidable(principal, id, 'access.approve', this.policy.requireMfaForApproval);
    const hours = options.grantHours ?? this.policy.defaultGrantHours;
    if (hours > this.policy.maxGrantHours) {
      throw new GatewayError('PGW_ERR_VALIDATION', `a grant may last at most ${this.policy.maxGrantHours} h`, { maxGrantHours: this.policy.maxGrantHours });
    }
    const now = this.clock.now();
    return this.decide(principal, record, 'approved', now, options.reason ?? null, now + hours * HOUR_MS);
  }

  deny(principal: Principal, id: string, options: { reason?: string }): AccessRequestView {
    const record = this.decidable(principal, id, 'access.deny', false);
    return this.decide(principal, record, 'denied', this.clock.now(), options.reason ?? null, null);
  }

  revoke(principal: Principal, id: string, options: { reason?: string }): AccessRequestView {
    const record = this.visible(principal, id);
    const now = this.clock.now();
    this.db.transaction(() => {
      if (!this.store.revoke(id, principal.subject, now)) {
        throw new GatewayError('PGW_ERR_CONFLICT', `request ${id} is ${record.status} and cannot be revoked`, { id, status: record.status });
      }
      this.auditRequest(principal, 'access.revoke', record, 'success', { reason: options.reason ?? null });
    })();
    return this.get(principal, id);
  }

  /** The request if the caller may see it (its requester or an oversight role); 404 otherwise, so ids cannot be probed. */
  visible(principal: Principal, id: string): AccessRequestRecord {
    const record = this.store.get(id);
    const oversight = principal.roles.some((role) => OVERSIGHT_ROLES.includes(role));
    if (!record || (!oversight && !sameSubject(record.requester, principal.subject))) {
      throw new GatewayError('PGW_ERR_NOT_FOUND', `no access request ${id}`, { id });
    }
    return record;
  }

  /** Audits an unredacted-access event with the request's case number, purpose and approver (F1). */
  auditRequest(principal: Principal, action: string, record: AccessRequestRecord, outcome: 'success' | 'failure' | 'denied', extra: Record<string, unknown> = {}): void {
    this.audit.append({
      actor: principal.subject,
      role: principal.roles.join(','),
      action,
      object: `access-request:${record.id}`,
      outcome,
      details: {
        requestId: record.id,
        caseNumber: record.caseNumber,
        purpose: record.purpose,
        requester: record.requester,
        approver: record.decidedBy,
        cameras: record.cameras,
        from: new Date(record.fromMs).toISOString(),
        to: new Date(record.toMs).toISOString(),
        ...extra,
      },
    });
  }

  private decidable(principal: Principal, id: string, action: string, needMfa: boolean): AccessRequestRecord {
    const record = this.visible(principal, id);
    if (sameSubject(record.requester, principal.subject)) {
      this.auditRequest(principal, action, record, 'denied', { reason: 'requester cannot decide their own request' });
      throw new GatewayError('PGW_ERR_FORBIDDEN', 'a requester cannot approve or deny their own request (four eyes)', { id });
    }
    if (needMfa && !hasMfa(principal, this.policy)) {
      this.auditRequest(principal, action, record, 'denied', { reason: 'multi-factor authentication required' });
      throw new GatewayError('PGW_ERR_MFA_REQUIRED', 'this action needs a token obtained with multi-factor authentication', { id });
    }
    return record;
  }

  private decide(principal: Principal, record: AccessRequestRecord, status: 'approved' | 'denied', now: number, reason: string | null, expiresAt: number | null): AccessRequestView {
    this.db.transaction(() => {
      if (!this.store.decide(record.id, status, principal.subject, now, reason, expiresAt)) {
        throw new GatewayError('PGW_ERR_CONFLICT', `request ${record.id} is ${record.status}, not pending`, { id: record.id, status: record.status });
      }
      const decided = { ...record, decidedBy: principal.subject };
      this.auditRequest(principal, status === 'approved' ? 'access.approve' : 'access.deny', decided, 'success', { reason, grantExpiresAt: iso(expiresAt) });
    })();
    return this.get(principal, record.id);
  }
}
