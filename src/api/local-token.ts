import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Role } from '../shared/types.js';

export interface LocalTokenRequest {
  subject: string;
  roles: readonly Role[];
  ttlSec: number;
  issuer: string;
  audience: string;
  /** Seconds since the epoch (from the injected clock). */
  nowSec: number;
  /** `amr` methods, e.g. `['pwd', 'mfa']`. */
  authMethods?: readonly string[];
  /** Device tokens (body-worn docks): the device id and narrow scopes such as `upload`. */
  deviceId?: string;
  scopes?: readonly string[];
}

/** Signs a bearer JWT with the local issuer's Ed25519 key (standalone sites and tests). */
export async function issueLocalToken(privateKey: KeyObject, keyId: string, request: LocalTokenRequest): Promise<string> {
  return new SignJWT({
    roles: [...request.roles],
    ...(request.authMethods ? { amr: [...request.authMethods] } : {}),
    ...(request.deviceId ? { device_id: request.deviceId } : {}),
    ...(request.scopes ? { scope: request.scopes.join(' ') } : {}),
  })
    .setProtectedHeader({ alg: 'EdDSA', kid: keyId, typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setIssuedAt(request.nowSec)
    .setNotBefore(request.nowSec)
    .setExpirationTime(request.nowSec + request.ttlSec)
    .sign(privateKey);
}
