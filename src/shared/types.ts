/** Cross-module types. Kept here so that modules share contracts without importing each other. */

export const ROLES = ['admin', 'operator', 'investigator', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller of an API request or CLI action. */
export interface Principal {
  /** Stable subject id from the identity provider (`sub`). */
  readonly subject: string;
  readonly roles: readonly Role[];
  /** Authentication methods (`amr` claim), e.g. `['pwd', 'mfa']`. */
  readonly authMethods: readonly string[];
  /** Device tokens (body-worn docks) carry a device id and a narrow scope. */
  readonly deviceId?: string;
  readonly scopes: readonly string[];
}

/** Turns a bearer token (or its absence) into a Principal, or throws a 401 GatewayError. */
export interface Authenticator {
  authenticate(authorization: string | undefined, context: { ip: string }): Promise<Principal>;
}

/** Retention data classes (the audit log is none of them: retention never touches it). */
export const DATA_CLASSES = ['original', 'redacted', 'metadata', 'sensor_raw', 'sensor_minimized', 'export'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** A static privacy mask polygon: [x, y] points as fractions of the frame's width and height (A6). */
export type MaskPolygon = readonly (readonly [number, number])[];

export const CAMERA_KINDS = ['fixed', 'body_worn'] as const;
export type CameraKind = (typeof CAMERA_KINDS)[number];
