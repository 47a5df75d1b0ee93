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

/** Live state of one camera, as the camera service reports it and the API shows it. */
export type CameraState = 'starting' | 'streaming' | 'backoff' | 'stopped' | 'disabled';

export interface CameraStatus {
  id: string;
  state: CameraState;
  inputFps: number;
  analysedFps: number;
  outputFps: number;
  /** Analysis frames dropped because the detector was busy (latest frame wins), since the camera was added. */
  droppedFrames: number;
  failClosedFrames: number;
  reconnects: number;
  lastError: string | null;
  lastErrorAt: number | null;
  width: number | null;
  height: number | null;
  segments: number;
}

/** A body-worn upload job, as the upload service tracks it and the API shows it. */
/**
 * Where an upload's recording time came from: the uploader's `recordedAt`, the clip's own creation time, or the
 * upload's arrival minus the clip's duration (the latest the recording can have started).
 */
export type RecordingTimeSource = 'request' | 'container' | 'upload';

export interface UploadJob {
  id: string;
  camera: string;
  /** When the clip's recording started (epoch ms), and how that is known. */
  recordedAt: number;
  recordedAtSource: RecordingTimeSource;
  state: 'queued' | 'running' | 'done' | 'failed';
  bytes: number;
  framesDone: number;
  framesExpected: number | null;
  error: string | null;
  segmentId: string | null;
  createdAt: number;
  finishedAt: number | null;
}
