import { CAMERA_ID_PATTERN } from '../config/sections/cameras.js';

/** JSON-schema pieces shared by routes, so that the same value is validated the same way everywhere. */
export const CAMERA_ID = { type: 'string', pattern: CAMERA_ID_PATTERN.source } as const;
export const ISO_INSTANT = { type: 'string', format: 'date-time', maxLength: 40 } as const;
/** Case numbers of access requests and legal holds refer to the same cases. */
export const CASE_NUMBER = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 ./:_-]{0,63}$' } as const;
