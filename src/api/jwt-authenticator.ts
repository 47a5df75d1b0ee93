import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../shared/clock.js';
import { GatewayError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort } from '../shared/ports.js';
import { ROLES, type Authenticator, type Principal, type Role } from '../shared/types.js';

export interface JwtAuthenticatorOptions {
  issuer: string;
  audience: string;
  /** Asymmetric algorithms only; `none` and HMAC are refused whatever is configured. */
  algorithms: readonly string[];
  clockToleranceSec: number;
  jwksFile?: string;
  jwksUrl?: string;
  /** Public keys of the local issuer (`privacy-gateway token`). */
  localKeys?: readonly JWK[];
  failureLimit: number;
  failureWindowMs: number;
  clock: Clock;
  audit: AuditPort;
  logger: Logger;
}

/** Header parameters that would let a token choose its own verification key (E1). */
const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const REFUSED_ALGORITHMS = /^(none|HS\d+)$/i;
const MAX_TRACKED_CLIENTS = 10_000;

class AuthFailure extends Error {}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') throw new AuthFailure('missing bearer token');
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(authorization.trim());
  if (!match?.[1]) throw new AuthFailure('malformed Authorization header');
  return match[1];
}

function principalFrom(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) throw new AuthFailure('token has no usable sub');
  const claimed = Array.isArray(payload.roles) ? payload.roles : typeof payload.role === 'string' ? [payload.role] : [];
  const roles = claimed.filter((role): role is Role => typeof role === 'string' && (ROLES as readonly string[]).includes(role));
  const amr = Array.isArray(payload.amr) ? payload.amr.filter((method): method is string => typeof method === 'string') : [];
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return {
    subject: payload.sub,
    roles,
    authMethods: amr,
    scopes,
    ...(typeof payload.device_id === 'string' ? { deviceId: payload.device_id } : {}),
  };
}

/**
 * Verifies bearer JWTs against configured keys only (local issuer, JWKS file, JWKS URL), with
 * issuer, audience, expiry/not-before and an asymmetric algorithm allowlist. Every failure is
 * audited; a client address that fails too often gets 429 until its window passes (E3).
 */
export class JwtAuthenticator implements Authenticator {
  private readonly keys: JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly failures = new Map<string, { windowStart: number; count: number; limitedAudited: boolean }>();
  private readonly log: Logger;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    this.log = options.logger.child({ module: 'auth' });
    this.algorithms = options.algorithms.filter((alg) => !REFUSED_ALGORITHMS.test(alg));
    if (this.algorithms.length === 0) throw new GatewayError('PGW_ERR_CONFIG_INVALID', 'auth.algorithms allows no asymmetric algorithm');
    const fileKeys = options.jwksFile ? (JSON.parse(readFileSync(options.jwksFile, 'utf8')) as JSONWebKeySet).keys : [];
    const local = createLocalJWKSet({ keys: [...(options.localKeys ?? []), ...fileKeys] });
    const remote = options.jwksUrl ? createRemoteJWKSet(JwtAuthenticator.jwksUrl(options.jwksUrl)) : undefined;
    this.keys = async (header, token) => {
      try {
        return await local(header, token);
      } catch (error) {
        if (remote) return remote(header, token);
        throw error;
      }
    };
  }

  /** Key sets are fetched over HTTPS only (plain HTTP just for a loopback identity provider in development). */
  private static jwksUrl(text: string): URL {
    const url = new URL(text);
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      throw new GatewayError('PGW_ERR_CONFIG_INVALID', 'auth.jwksUrl must be an https URL', { jwksUrl: url.origin });
    }
    return url;
  }

  async authenticate(authorization: string | undefined, context: { ip: string }): Promise<Principal> {
    this.assertNotLimited(context.ip);
    try {
      const token = bearerToken(authorization);
      const header = decodeProtectedHeader(token);
      const carried = KEY_CARRYING_HEADERS.filter((name) => name in header);
      if (carried.length > 0) throw new AuthFailure(`token header names its own key (${carried.join(', ')})`);
      if (typeof header.alg !== 'string' || !this.algorithms.includes(header.alg)) throw new AuthFailure(`algorithm ${String(header.alg)} is not allowed`);
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.algorithms,
        clockTolerance: this.options.clockToleranceSec,
        currentDate: new Date(this.options.clock.now()),
        requiredClaims: ['exp', 'sub'],
      });
      return principalFrom(payload);
    } catch (error) {
      if (isGatewayError(error)) throw error;
      const reason = error instanceof AuthFailure ? error.message : `token rejected (${(error as { code?: string }).code ?? 'invalid'})`;
      this.recordFailure(context.ip, reason);
      throw new GatewayError('PGW_ERR_UNAUTHORIZED', 'a valid bearer token is required', { reason });
    }
  }

  private entry(ip: string): { windowStart: number; count: number; limitedAudited: boolean } {
    const now = this.options.clock.now();
    let entry = this.failures.get(ip);
    if (!entry || now - entry.windowStart >= this.options.failureWindowMs) {
      if (this.failures.size >= MAX_TRACKED_CLIENTS) this.prune(now);
      entry = { windowStart: now, count: 0, limitedAudited: false };
      this.failures.set(ip, entry);
    }
    return entry;
  }

  private prune(now: number): void {
    for (const [ip, entry] of this.failures) if (now - entry.windowStart >= this.options.failureWindowMs) this.failures.delete(ip);
    if (this.failures.size >= MAX_TRACKED_CLIENTS) this.failures.clear();
  }

  private assertNotLimited(ip: string): void {
    const entry = this.entry(ip);
    if (entry.count < this.options.failureLimit) return;
    if (!entry.limitedAudited) {
      entry.limitedAudited = true;
      this.safeAudit({ actor: 'anonymous', action: 'auth.rate_limited', object: `client:${ip}`, outcome: 'denied', details: { ip, failures: entry.count } });
    }
    throw new GatewayError('PGW_ERR_RATE_LIMITED', 'too many failed authentications; retry later', { ip });
  }

  private recordFailure(ip: string, reason: string): void {
    this.entry(ip).count++;
    this.safeAudit({ actor: 'anonymous', action: 'auth.failure', object: `client:${ip}`, outcome: 'failure', details: { ip, reason } });
  }

  /** A refused login stays refused even when the audit log is down; the loss is logged. */
  private safeAudit(event: Parameters<AuditPort['append']>[0]): void {
    try {
      this.options.audit.append(event);
    } catch (error) {
      this.log.error({ err: error, action: event.action }, 'authentication failure could not be audited');
    }
  }
}
