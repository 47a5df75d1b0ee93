/** Object classes the detectors report. `person` and `vehicle` guide plate search and the head fallback; `head` is redacted with faces. */
export type ObjectClass = 'face' | 'plate' | 'person' | 'vehicle' | 'head';

/**
 * Detection classes a job that redacts `classes` redacts: a head box (the head area of a detected person whose
 * face no face detector found) stands in for that face, so redacting faces redacts heads too.
 */
export function redactedDetectionClasses(classes: readonly ObjectClass[]): ReadonlySet<ObjectClass> {
  const redacted = new Set<ObjectClass>(classes);
  if (redacted.has('face')) redacted.add('head');
  return redacted;
}

/** An axis-aligned box in pixels, origin top-left. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Detection extends Box {
  cls: ObjectClass;
  /** Detector confidence in [0, 1]. */
  score: number;
}

/** Packed rgb24, row-major, stride = width * 3. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Which source frame an analysis image came from. */
export interface FrameInfo {
  readonly index: number;
  /** Presentation time in stream milliseconds. */
  readonly ptsMs: number;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

export interface ModelInfo {
  readonly id: string;
  readonly sha256: string;
}

/**
 * A detector owns its runtime (TF.js WASM, ONNX Runtime) and lives in exactly one worker thread.
 * Implementations: model profiles (`live`, `thorough`) and test detectors.
 */
export interface Detector {
  /** Profile or implementation id, reported in sidecars and reports. */
  readonly id: string;
  readonly models: readonly ModelInfo[];
  /** The analysis image size it wants for a source frame of this size; the frame loop scales to it. */
  inputSize(sourceWidth: number, sourceHeight: number): { width: number; height: number };
  /** Detections in the pixel coordinates of `image`. */
  detect(image: RgbImage, frame: FrameInfo): Promise<Detection[]>;
  dispose(): Promise<void>;
}
