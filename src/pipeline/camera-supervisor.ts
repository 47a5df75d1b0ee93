import { fork, type ChildProcess } from 'node:child_process';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { withMallocTunables } from '../shared/malloc-tunables.js';
import type { CameraState, CameraStatus } from '../shared/types.js';
import type { CameraCounters, CameraMessage, CameraRuntimeSpec, FinishedSegment, SupervisorMessage } from './camera-protocol.js';
import { nextAttempt, reconnectDelayMs, type BackoffPolicy } from './reconnect-backoff.js';

/** What the supervisor hands upward: the fleet turns these into vault, spool and outbox actions. */
export interface CameraEvents {
  original(cameraId: string, original: { sequence: number; startMs: number; endMs: number; data: Buffer }): void;
  segment(cameraId: string, segment: FinishedSegment): void;
  stats(cameraId: string, delta: CameraCounters, queueDepth: number, latenciesMs: { frame: readonly number[]; detector: readonly number[] }): void;
  preview(cameraId: string, jpeg: Buffer): void;
  restarted(cameraId: string): void;
  streaming(cameraId: string, on: boolean): void;
}

export interface SupervisorOptions {
  spec: CameraRuntimeSpec;
  backoff: BackoffPolicy;
  stableMs: number;
  clock: Clock;
  logger: Logger;
  events: CameraEvents;
  random?: () => number;
}

const ZERO: CameraCounters = { inputFrames: 0, outputFrames: 0, analysed: 0, analysisSkipped: 0, analysisFailures: 0, failClosedFrames: 0 };

function processEntry(): { module: string; execArgv: string[] } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    return { module: new URL('./camera-process.ts', self).pathname, execArgv: ['--import', import.meta.resolve('tsx/esm')] };
  }
  return { module: new URL('./camera-process.js', self).pathname, execArgv: [] };
}

/**
 * Keeps one camera's process alive: forks it, relays its messages, restarts it after any fault with
 * exponential backoff and jitter, and kills it when it stops reporting (hung decoder). A fault here never
 * touches another camera: each camera has its own process and its own supervisor.
 */
export class CameraSupervisor {
  private child: ChildProcess | undefined;
  private state: CameraState = 'stopped';
  private attempt = 0;
  private startedAt = 0;
  private lastReportAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopRequested = false;
  private last: CameraCounters = ZERO;
  private rates = { inputFps: 0, analysedFps: 0, outputFps: 0 };
  private totals = { dropped: 0, failClosed: 0, reconnects: 0, segments: 0 };
  private lastError: { message: string; at: number } | undefined;
  private size: { width: number; height: number } | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  get id(): string {
    return this.options.spec.camera.id;
  }

  start(): void {
    this.stopRequested = false;
    this.launch();
    const period = Math.max(500, Math.floor(this.options.spec.settings.stallMs / 2));
    this.watchdog = setInterval(() => this.checkAlive(), period);
    this.watchdog.unref();
  }

  /** Asks the camera process to close its last segment and exit; kills it if it does not within `graceMs`. */
  async stop(graceMs = 8000): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // 'exit' can come before the last messages are read: the final segment is reported just before the
      // process ends, and its sidecar must not miss the publisher's last flush. The channel closes after them.
      const drained = child.connected ? new Promise<void>((resolve) => child.once('disconnect', () => resolve())) : Promise.resolve();
      if (child.connected) child.send({ type: 'stop' } satisfies SupervisorMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await Promise.all([exited, drained]);
      clearTimeout(timer);
    }
    this.setState('stopped');
  }

  status(): CameraStatus {
    return {
      id: this.id, state: this.state, ...this.rates,
      droppedFrames: this.totals.dropped, failClosedFrames: this.totals.failClosed, reconnects: this.totals.reconnects,
      lastError: this.lastError?.message ?? null, lastErrorAt: this.lastError?.at ?? null,
      width: this.size?.width ?? null, height: this.size?.height ?? null, segments: this.totals.segments,
    };
  }

  private launch(): void {
    const { clock } = this.options;
    const entry = processEntry();
    this.setState('starting');
    this.startedAt = clock.now();
    this.lastReportAt = clock.now();
    this.last = ZERO;
    // The camera process runs the detector: it starts with the detector's malloc settings.
    const env = withMallocTunables(process.env);
    // Own process group: a terminal's Ctrl-C reaches only the gateway, which then stops each camera in order
    // (final segment encoded, sidecar written); in the terminal's group the camera and its ffmpeg children died
    // with it mid-segment. A camera whose gateway is gone stops on its own (IPC disconnect).
    const child = fork(entry.module, [], { execArgv: entry.execArgv, env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    this.child = child;
    child.on('message', (message: CameraMessage) => this.onMessage(message));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    child.send({ type: 'start', spec: this.options.spec } satisfies SupervisorMessage);
  }

  private onMessage(message: CameraMessage): void {
    const { events } = this.options;
    this.lastReportAt = this.options.clock.now();
    switch (message.type) {
      case 'started':
        this.size = { width: message.width, height: message.height };
        this.setState('streaming');
        return;
      case 'stats':
        this.onStats(message.counters, message.queueDepth, { frame: message.frameLatencyMs, detector: message.detectorLatencyMs });
        return;
      case 'original':
        events.original(this.id, { sequence: message.sequence, startMs: message.startMs, endMs: message.endMs, data: Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength) });
        return;
      case 'segment':
        this.totals.segments += 1;
        events.segment(this.id, message.segment);
        return;
      case 'preview':
        events.preview(this.id, Buffer.from(message.jpeg.buffer, message.jpeg.byteOffset, message.jpeg.byteLength));
        return;
      case 'fault':
        this.recordError(`${message.fault}: ${message.message}`);
        return;
    }
  }

  private onStats(counters: CameraCounters, queueDepth: number, latencies: { frame: readonly number[]; detector: readonly number[] }): void {
    const delta = {} as Record<keyof CameraCounters, number>;
    for (const key of Object.keys(ZERO) as (keyof CameraCounters)[]) delta[key] = Math.max(0, counters[key] - this.last[key]);
    this.last = counters;
    // Stats arrive once a second: the delta is the rate.
    this.rates = { inputFps: delta.inputFrames, analysedFps: delta.analysed, outputFps: delta.outputFrames };
    this.totals.dropped += delta.analysisSkipped;
    this.totals.failClosed += delta.failClosedFrames;
    this.options.events.stats(this.id, delta, queueDepth, latencies);
  }

  private recordError(message: string): void {
    this.lastError = { message, at: this.options.clock.now() };
    this.options.logger.warn({ camera: this.id, reason: message }, 'camera fault');
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.rates = { inputFps: 0, analysedFps: 0, outputFps: 0 };
    if (this.stopRequested) return;
    if (code !== 0 && (this.lastError === undefined || this.lastError.at < this.startedAt)) {
      this.recordError(`camera process exited (${code ?? signal})`);
    }
    const { clock, backoff, stableMs } = this.options;
    this.attempt = nextAttempt(this.attempt, clock.now() - this.startedAt, stableMs);
    const delay = reconnectDelayMs(this.attempt, backoff, (this.options.random ?? Math.random)());
    this.setState('backoff');
    this.totals.reconnects += 1;
    this.options.events.restarted(this.id);
    this.retryTimer = setTimeout(() => {
      if (!this.stopRequested) this.launch();
    }, delay);
  }

  /** A camera process that stops reporting (hung in a syscall, stuck decoder) is killed; its exit restarts it. */
  private checkAlive(): void {
    const child = this.child;
    if (!child || this.state === 'backoff') return;
    const silentMs = this.options.clock.now() - this.lastReportAt;
    const allowance = this.options.spec.settings.stallMs * 2 + (this.state === 'starting' ? this.options.spec.settings.rtspTimeoutMs * 3 : 0);
    if (silentMs > allowance) {
      this.recordError(`camera process silent for ${silentMs} ms`);
      child.kill('SIGKILL');
    }
  }

  private setState(state: CameraState): void {
    if (state === this.state) return;
    if (state === 'streaming' || this.state === 'streaming') this.options.events.streaming(this.id, state === 'streaming');
    this.state = state;
  }
}
