/**
 * The IPC channel of a forked process to its parent, closed only once every message is written.
 * `process.disconnect()` drops messages still queued behind a large one (a preview JPEG, an original of several
 * MB): a camera's last original and its last segment would never reach the gateway, so the original would be
 * lost and the segment left without a sidecar.
 */
export class ParentChannel<Message> {
  /** Messages handed to `process.send` whose write has not completed yet. */
  private unwritten = 0;
  private allWritten: (() => void) | undefined;

  send(message: Message): void {
    if (!process.connected || !process.send) return;
    this.unwritten += 1;
    process.send(message, undefined, {}, () => {
      this.unwritten -= 1;
      if (this.unwritten === 0) this.allWritten?.();
    });
  }

  async close(): Promise<void> {
    if (this.unwritten > 0 && process.connected) {
      // A parent that closes the channel first cancels the rest; nothing is left to wait for then.
      await new Promise<void>((resolve) => {
        this.allWritten = resolve;
        process.once('disconnect', resolve);
      });
    }
    if (process.connected) process.disconnect?.();
  }
}
