/**
 * Redacted segments as modules other than the pipeline see them: their ids, which carry the recording start, and
 * the sidecar JSON written beside each one (`<segmentId>.json`), read back by exports and retention.
 */

/** `cam-20260301T120000123Z`: sortable, unique per camera and start time. */
export function segmentIdOf(cameraId: string, startMs: number): string {
  return `${cameraId}-${new Date(startMs).toISOString().replace(/[-:.]/g, '')}`;
}

const SEGMENT_START = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z(?=[-.:]|$)/;

/** The recording start a segment id (or a key or file name built from one) carries, if any. */
export function segmentStartOf(idOrKey: string): number | undefined {
  const match = SEGMENT_START.exec(idOrKey);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, ms] = match.slice(1).map(Number) as [number, number, number, number, number, number, number];
  const startMs = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return Number.isFinite(startMs) ? startMs : undefined;
}

/**
 * The camera process's report of a segment it moved into the spool (`<segmentId>.pending`), written before the move
 * and removed once the sidecar is written and both are in the outbox: a gateway that dies in between finds the
 * report at its next start and publishes the segment then, instead of leaving it in the spool unannounced.
 */
export const PENDING_REPORT_SUFFIX = '.pending';

export function pendingReportPathOf(segmentPath: string): string {
  return segmentPath.replace(/\.mp4$/, PENDING_REPORT_SUFFIX);
}

/** The sidecar beside a segment file (`<segmentId>.json`). */
export function sidecarPathOf(segmentPath: string): string {
  return segmentPath.replace(/\.mp4$/, '.json');
}

export const SEGMENT_SIDECAR_SCHEMA = 'privacy-gateway/segment-sidecar/1';

/** The sidecar of a redacted segment: what it is, when it was recorded, what was redacted, which originals it derives from. */
export type SegmentSidecar = {
  readonly schema: typeof SEGMENT_SIDECAR_SCHEMA;
  readonly segmentId: string;
  readonly camera: string;
  readonly cameraKind: string;
  readonly retentionClass: string;
  readonly start: string;
  readonly end: string;
  readonly startMs: number;
  readonly endMs: number;
  /** How start and end are known: the gateway's clock (live), or an upload's `RecordingTimeSource`. */
  readonly timeSource: string;
  readonly frameCount: number;
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  /** Regions redacted per class, summed over the segment's frames. */
  readonly regionsPerClass: Readonly<Record<string, number>>;
  /** Frames redacted whole because no detection covered them in time (fail closed). */
  readonly failClosedFrames: number;
  /** Static privacy masks blacked out on every frame. */
  readonly privacyMasks: number;
  readonly audio: false;
  readonly detector: { readonly id: string; readonly models: readonly { readonly id: string; readonly sha256: string }[] };
  readonly file: { readonly name: string; readonly bytes: number; readonly sha256: string };
  readonly originals: readonly { readonly originalId: string | undefined; readonly sha256: string | undefined; readonly startMs: number; readonly endMs: number }[];
  readonly originalsRefused: number;
  readonly originalsComplete: boolean;
};
