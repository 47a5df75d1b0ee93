import { GatewayError } from '../shared/errors.js';
import { encoderArgs, type EncoderPlan } from './ffmpeg-args.js';
import { MediaProcess, type ProcessExit } from './ffmpeg-process.js';
import type { MediaTools } from './media-tools.js';

/**
 * The encoder end of the loop: raw yuv420p frames into ffmpeg's stdin. `write` returns false when the pipe
 * is full; the caller then waits for `onDrain` (backpressure reaches the decoder through the frame pool).
 * The frame's buffer stays untouched until its `done` callback, so slots are released only then.
 * An encoder that dies before its input ends (the disk is full, the output cannot be written) is reported through
 * `onFailure` with ffmpeg's reason: its pipe would otherwise never drain again and the loop would wait for ever.
 */
export class FrameEncoder {
  private readonly process: MediaProcess;
  private drainListener: (() => void) | undefined;
  private failureListener: ((error: Error) => void) | undefined;
  private failure: GatewayError | undefined;
  private ending = false;

  constructor(tools: MediaTools, plan: EncoderPlan) {
    this.process = new MediaProcess(tools.ffmpeg, encoderArgs(plan));
    this.process.stdin.on('drain', () => this.drainListener?.());
    void this.process.exited.then((exit) => {
      if (this.ending) return;
      this.failure = this.failed(exit);
      this.failureListener?.(this.failure);
    });
  }

  write(frame: Uint8Array, done: () => void): boolean {
    return this.process.stdin.write(frame, () => done());
  }

  /** The listener called each time the pipe has room again after `write` returned false. */
  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }

  /** The listener called once if the encoder dies before `finish` or `abort` (at once if it already has). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListener = listener;
    if (this.failure) listener(this.failure);
  }

  /** Ends the input and waits for ffmpeg to finish the file; throws with ffmpeg's reason when it fails. */
  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    this.ending = true;
    this.process.stdin.end();
    const exit = await this.process.exited;
    if (exit.code !== 0) throw this.failed(exit);
  }

  async abort(): Promise<void> {
    this.ending = true;
    await this.process.stop(500);
  }

  private failed(exit: ProcessExit): GatewayError {
    return new GatewayError('PGW_ERR_OUTPUT', `encoder failed (${this.process.stderrSummary() || `exit ${exit.code ?? exit.signal}`})`, { code: exit.code });
  }
}
