import { GatewayError } from '../shared/errors.js';
import { encoderArgs, type EncoderPlan } from './ffmpeg-args.js';
import { MediaProcess } from './ffmpeg-process.js';
import type { MediaTools } from './media-tools.js';

/**
 * The encoder end of the loop: raw yuv420p frames into ffmpeg's stdin. `write` returns false when the pipe
 * is full; the caller then waits for `onDrain` (backpressure reaches the decoder through the frame pool).
 * The frame's buffer stays untouched until its `done` callback, so slots are released only then.
 */
export class FrameEncoder {
  private readonly process: MediaProcess;
  private drainListener: (() => void) | undefined;

  constructor(tools: MediaTools, plan: EncoderPlan) {
    this.process = new MediaProcess(tools.ffmpeg, encoderArgs(plan));
    this.process.stdin.on('drain', () => this.drainListener?.());
  }

  write(frame: Uint8Array, done: () => void): boolean {
    return this.process.stdin.write(frame, () => done());
  }

  /** The listener called each time the pipe has room again after `write` returned false. */
  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  /** Ends the input and waits for ffmpeg to finish the file; throws with ffmpeg's reason when it fails. */
  async finish(): Promise<void> {
    this.process.stdin.end();
    const exit = await this.process.exited;
    if (exit.code !== 0) {
      throw new GatewayError('PGW_ERR_FFMPEG', `encoder failed (${this.process.stderrSummary() || `exit ${exit.code ?? exit.signal}`})`, { code: exit.code });
    }
  }

  async abort(): Promise<void> {
    await this.process.stop(500);
  }
}
