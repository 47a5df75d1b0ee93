import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { scrubUrlCredentials } from '../shared/logger.js';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How much of stderr is kept for error messages: the end is where ffmpeg says why it stopped. */
const STDERR_TAIL_BYTES = 4096;

/** ffmpeg's bookkeeping line for repeats it folded: it says nothing about why the process stopped. */
const REPEAT_NOTE = /^(\[[^\]]*\]\s*)?Last message repeated \d+ times?$/;

/** The last three distinct lines of an ffmpeg stderr tail, credentials scrubbed, for a one-line error. */
export function summarizeStderr(tail: string): string {
  const lines = scrubUrlCredentials(tail).split('\n').map((line) => line.trim()).filter((line) => line !== '' && !REPEAT_NOTE.test(line));
  const distinct = lines.filter((line, index) => line !== lines[index - 1]);
  return distinct.slice(-3).join('; ');
}

/**
 * One ffmpeg/ffprobe child with its pipes, the tail of its stderr (credentials scrubbed) and a staged stop:
 * `q` on stdin (ffmpeg finishes the file and, for RTSP, sends TEARDOWN), then SIGTERM, then SIGKILL.
 */
export class MediaProcess {
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private tail = '';
  private exit: ProcessExit | undefined;

  constructor(binary: string, args: readonly string[], extraOutputs = 0) {
    const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'pipe'];
    for (let i = 0; i < extraOutputs; i += 1) stdio.push('pipe');
    this.child = spawn(binary, args, { stdio });
    // A child that exits early closes its pipes; the exit status reports why, so pipe errors are not fatal here.
    for (const pipe of this.child.stdio) pipe?.on('error', () => undefined);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.tail = (this.tail + text).slice(-STDERR_TAIL_BYTES);
    });
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.child.on('error', (error) => {
        this.tail += `\n${error.message}`;
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get stdin(): Writable {
    return this.pipe(0) as Writable;
  }

  get stdout(): Readable {
    return this.pipe(1) as Readable;
  }

  get stderr(): Readable {
    return this.pipe(2) as Readable;
  }

  /** An extra output pipe (`pipe:3` is index 3). */
  output(index: number): Readable {
    return this.pipe(index) as Readable;
  }

  /** The last lines ffmpeg wrote to stderr, credentials removed, on one line. */
  stderrSummary(): string {
    return summarizeStderr(this.tail);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  async stop(graceMs = 2000): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    const stdin = this.child.stdin;
    if (stdin && stdin.writable) stdin.end('q');
    if (await this.exitsWithin(graceMs)) return this.exited;
    this.child.kill('SIGTERM');
    if (await this.exitsWithin(graceMs)) return this.exited;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /**
   * Kills the process and drops what its output pipes still hold. For a process whose reader has gone: a paused pipe
   * with unread data keeps the process from closing, so `stop` would wait on it for ever.
   */
  async discard(): Promise<ProcessExit> {
    this.child.stdio.forEach((pipe, index) => {
      if (index !== 2) pipe?.destroy();
    });
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const done = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  private pipe(index: number): Readable | Writable {
    const stream = this.child.stdio[index];
    if (!stream) throw new Error(`media process has no pipe ${index}`);
    return stream;
  }
}
