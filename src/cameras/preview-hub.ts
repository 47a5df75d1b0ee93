/** A listener of one camera's redacted preview frames (JPEG). */
export type PreviewListener = (jpeg: Buffer) => void;

/**
 * Latest redacted preview frame per camera and its listeners (MJPEG clients). Only redacted frames ever
 * reach it: the camera process encodes them from the frame loop's output, after redaction.
 */
export class PreviewHub {
  private readonly latest = new Map<string, Buffer>();
  private readonly listeners = new Map<string, Set<PreviewListener>>();

  publish(cameraId: string, jpeg: Buffer): void {
    this.latest.set(cameraId, jpeg);
    for (const listener of this.listeners.get(cameraId) ?? []) listener(jpeg);
  }

  last(cameraId: string): Buffer | undefined {
    return this.latest.get(cameraId);
  }

  /** Returns the unsubscribe function. */
  subscribe(cameraId: string, listener: PreviewListener): () => void {
    const set = this.listeners.get(cameraId) ?? new Set<PreviewListener>();
    set.add(listener);
    this.listeners.set(cameraId, set);
    return () => {
      set.delete(listener);
    };
  }
}
