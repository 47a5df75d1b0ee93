import type { ObjectClass } from '../vision/detector.js';

/** Where a redacted region came from. */
export type RegionSourceKind = 'detector' | 'track' | 'lookahead' | 'mask' | 'failclosed';

/** One redacted region of one frame, in input pixels. `class` is `frame` for a fail-closed whole frame. */
export interface RedactedRegion {
  x: number;
  y: number;
  w: number;
  h: number;
  class: ObjectClass | 'frame';
  source: RegionSourceKind;
  score?: number;
}

export interface FrameRecord {
  index: number;
  ptsMs: number;
  regions: RedactedRegion[];
}

export interface RedactionReport {
  input: string;
  kind: 'image' | 'video';
  width: number;
  height: number;
  fps?: number;
  frameCount: number;
  /** Frames redacted whole because no fresh detection covered them (invariant P1). */
  failClosedFrames: number;
  detector: { id: string; models: { id: string; sha256: string }[] };
  frames: FrameRecord[];
}
