/** Schema pieces and value conversions shared by the retention and legal-hold routes. */
import { GatewayError } from '../../shared/errors.js';

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
