import type { Detection, FrameInfo, ModelInfo } from './detector.js';
import type { DetectorSpec } from './registry.js';

/** Messages between the detector host (main thread) and the detector worker. Pixels never travel: frames are slots of a shared pool. */
export type HostMessage =
  | { type: 'init'; spec: DetectorSpec }
  | { type: 'pool'; memory: SharedArrayBuffer; slotBytes: number }
  | { type: 'size'; id: number; sourceWidth: number; sourceHeight: number }
  | { type: 'detect'; id: number; slot: number; width: number; height: number; frame: FrameInfo }
  | { type: 'close' };

export type WorkerMessage =
  | { type: 'ready'; detectorId: string; models: ModelInfo[] }
  | { type: 'size'; id: number; width: number; height: number }
  | { type: 'result'; id: number; detections: Detection[] }
  | { type: 'failed'; id: number; message: string }
  | { type: 'init-failed'; message: string };
