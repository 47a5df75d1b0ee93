/** Schema pieces and value conversions shared by the retention and legal-hold routes. */
import { GatewayError } from '../../shared/errors.js';

export { CAMERA_ID, ISO_INSTANT } from '../schema-parts.js';

export function parseInstant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new GatewayError('PGW_ERR_VALIDATION', `${field} is not a valid instant`, { errors: [{ path: `/${field}`, message: 'must be an RFC 3339 date-time' }] });
  return ms;
}

export function isoOrUndefined(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
