import type { CameraConfig } from '../config/sections/cameras.js';
import type { RecordingTimeSource } from '../shared/types.js';
import type { ObjectClass } from '../vision/detector.js';
import type { DetectorSpec } from '../vision/registry.js';
import type { LoopSettings } from './frame-loop.js';

/** Frame-loop and supervision settings of one live camera (from the `pipeline` and `cameras` sections). */
export interface CameraLoopSettings extends LoopSettings {
  segmentSeconds: number;
  /** libx264 `zerolatency` tuning for live segments. */
  lowLatency: boolean;
  stallMs: number;
  rtspTimeoutMs: number;
  /** Redacted preview frames per second (JPEG), 0 for none. */
  previewFps: number;
  /** Largest frame (width × height) the camera may send. */
  maxPixels: number;
}

/** Everything a camera process needs; sent once, as its first message. */
export interface CameraRuntimeSpec {
  camera: CameraConfig;
  /** Private working directory (partial segments); on the same filesystem as the spool. */
  workDir: string;
  /** `dataDir/spool/<camera>`: finished segments appear here atomically. */
  spoolDir: string;
  detector: DetectorSpec;
  classes: ObjectClass[];
  settings: CameraLoopSettings;
}

export interface CameraCounters {
  /** Frames decoded (input). */
  inputFrames: number;
  /** Frames redacted and encoded (output). */
  outputFrames: number;
  analysed: number;
  analysisSkipped: number;
  analysisFailures: number;
  failClosedFrames: number;
}

/** A finished redacted segment, already in the spool; the supervisor adds the originals and writes the sidecar. */
export interface FinishedSegment {
  segmentId: string;
  path: string;
  sha256: string;
  bytes: number;
  startMs: number;
  endMs: number;
  frames: number;
  failClosedFrames: number;
  regionsPerClass: Record<string, number>;
  masks: number;
  width: number;
  height: number;
  fps: number;
  detector: { id: string; models: { id: string; sha256: string }[] };
  /** How startMs/endMs are known; absent for live segments, which the gateway's clock times as frames arrive. */
  timeSource?: RecordingTimeSource;
}

export type CameraFault = 'stalled' | 'resolution_changed' | 'source_ended' | 'decoder_failed' | 'encoder_failed' | 'start_failed';

export type CameraMessage =
  | { type: 'started'; width: number; height: number; fps: number; detectorId: string }
  | { type: 'stats'; counters: CameraCounters; queueDepth: number; frameLatencyMs: number[]; detectorLatencyMs: number[] }
  | { type: 'original'; sequence: number; startMs: number; endMs: number; data: Uint8Array }
  | { type: 'segment'; segment: FinishedSegment }
  | { type: 'preview'; jpeg: Uint8Array }
  | { type: 'fault'; fault: CameraFault; message: string };

export type SupervisorMessage = { type: 'start'; spec: CameraRuntimeSpec } | { type: 'stop' };

/** Exit code of a camera process that stopped because of a fault (it is restarted with backoff). */
export const FAULT_EXIT_CODE = 3;
