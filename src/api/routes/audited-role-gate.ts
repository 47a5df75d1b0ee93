import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { GatewayError } from '../../shared/errors.js';
import type { Principal, Role } from '../../shared/types.js';
import { principalOf } from '../auth.js';

/** Records a refused attempt in the audit log; throws (503) when it cannot. */
export type DeniedRecorder = (principal: Principal, action: string, object: string) => void;

/**
 * onRequest hooks that authenticate any caller, then admit only `roles`. A refusal is audited by the
 * route's own service with the action it refused, before the 403 is sent.
 */
export function auditedRoleGate(
  app: FastifyInstance,
  roles: readonly Role[],
  action: string,
  objectOf: (request: FastifyRequest) => string,
  recordDenied: DeniedRecorder,
): onRequestAsyncHookHandler[] {
  const gate: onRequestAsyncHookHandler = async (request) => {
    const principal = principalOf(request);
    if (principal.roles.some((role) => roles.includes(role))) return;
    recordDenied(principal, action, objectOf(request));
    throw new GatewayError('PGW_ERR_FORBIDDEN', `this action needs one of the roles: ${roles.join(', ')}`, { subject: principal.subject, needed: roles });
  };
  return [app.guards.requireRole(), gate];
}

export const ISO_INSTANT = { type: 'string', format: 'date-time', maxLength: 40 } as const;
export const CAMERA_ID = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } as const;

export function parseInstant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new GatewayError('PGW_ERR_VALIDATION', `${field} is not a valid instant`, { errors: [{ path: `/${field}`, message: 'must be an RFC 3339 date-time' }] });
  return ms;
}

export function isoOrUndefined(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
