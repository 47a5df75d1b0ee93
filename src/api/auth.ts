import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { GatewayError } from '../shared/errors.js';
import type { Authenticator, Principal, Role } from '../shared/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Called when an authenticated caller lacks the role a route needs (for audit, D4). */
export type AccessDeniedListener = (principal: Principal, request: FastifyRequest, needed: readonly Role[]) => void | Promise<void>;

export interface AuthGuards {
  /** preHandler: authenticates the bearer token and requires one of `roles` (any role when empty). */
  requireRole(...roles: Role[]): preHandlerAsyncHookHandler;
}

export function createAuthGuards(authenticator: Authenticator, onDenied?: AccessDeniedListener): AuthGuards {
  return {
    requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
      return async function guard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
        const principal = await authenticator.authenticate(request.headers.authorization, { ip: request.ip });
        request.principal = principal;
        if (roles.length > 0 && !principal.roles.some((role) => roles.includes(role))) {
          await onDenied?.(principal, request, roles);
          throw new GatewayError('PGW_ERR_FORBIDDEN', `this action needs one of the roles: ${roles.join(', ')}`, {
            subject: principal.subject,
            needed: roles,
          });
        }
      };
    },
  };
}

/** The principal set by a guard; routes behind `requireRole` can rely on it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new GatewayError('PGW_ERR_UNAUTHORIZED', 'authentication required');
  return request.principal;
}
