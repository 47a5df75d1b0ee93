import { Worker } from 'node:worker_threads';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { FramePool } from '../media/frame-pool.js';
import type { Detection, FrameInfo, ModelInfo } from './detector.js';
import type { HostMessage, WorkerMessage } from './detector-protocol.js';
import type { DetectorSpec } from './registry.js';

/** Why an analysis produced no result; every such frame is handled fail-closed by the loop. */
export type DetectFailure = 'stalled' | 'crashed' | 'failed' | 'unavailable';

export type DetectOutcome = { ok: true; detections: Detection[] } | { ok: false; reason: DetectFailure };

export interface DetectorHostOptions {
  readonly spec: DetectorSpec;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A detection taking longer than this is a stall: its frames fail closed and a new worker replaces the old one. */
  readonly detectTimeoutMs: number;
  /** Longest wait for the worker to load its models. */
  readonly initTimeoutMs: number;
  /** Restart budget: at most `maxRestarts` within `restartWindowMs`; beyond it the detector stays down. */
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
}

export interface DetectorStats {
  restarts: number;
  stalls: number;
  crashes: number;
  failures: number;
}

/** Pure restart-budget decision: true when another restart fits into the window. */
export function withinRestartBudget(restartTimes: readonly number[], now: number, maxRestarts: number, windowMs: number): boolean {
  return restartTimes.filter((time) => now - time < windowMs).length < maxRestarts;
}

/** Longest wait, at close, for the worker to finish its current detection and release its models. */
const CLOSE_GRACE_MS = 10_000;
/** Longest time a stalled worker, replaced already, is given to finish its detection and exit on its own. */
const STALLED_GRACE_MS = 60_000;

interface Pending {
  message: Extract<HostMessage, { type: 'detect' }>;
  resolve(outcome: DetectOutcome): void;
}

function spawnWorker(): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Running from TypeScript sources (tsx, vitest): the worker registers the same loader before importing.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./detector-worker.ts', self).href;
    const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(bootstrap, { eval: true });
  }
  return new Worker(new URL('./detector-worker.js', self));
}

/**
 * Asks a worker to finish what it is running, release its models and exit; terminates it after `graceMs`.
 * Terminating a worker while ONNX Runtime is inside a run aborts the whole process (the run's completion throws
 * into the torn-down thread), so a slow detection is let finish; only a worker that never returns is terminated.
 */
function retire(worker: Worker, graceMs: number, options: { background?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (worker.threadId < 0) {
      resolve();
      return;
    }
    const timer = setTimeout(() => void worker.terminate(), graceMs);
    if (options.background) {
      // Already replaced: the old worker finishes on its own time and must not hold the process open.
      worker.unref();
      timer.unref();
    }
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage({ type: 'close' } satisfies HostMessage);
  });
}

/**
 * Main-thread side of the detector worker: one detection in flight, a stall timeout, crash detection,
 * restarts within a budget. `detect` never rejects; a failure is an outcome the frame loop turns into
 * fail-closed frames. Analysis frames live in a shared pool the worker reads without copying.
 */
export class DetectorHost {
  readonly stats: DetectorStats = { restarts: 0, stalls: 0, crashes: 0, failures: 0 };
  detectorId = 'unknown';
  models: ModelInfo[] = [];
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private pool: FramePool | undefined;
  private readonly queue: Pending[] = [];
  private inFlight: { pending: Pending; timer: NodeJS.Timeout } | undefined;
  private readonly restartTimes: number[] = [];
  private down = false;
  /** The current worker has loaded its models and accepts detections. */
  private live = false;
  private closed = false;
  private nextId = 1;
  private sizeWaiters = new Map<number, (size: { width: number; height: number }) => void>();

  constructor(private readonly options: DetectorHostOptions) {}

  /** Starts the worker and waits until its models are loaded; throws when they cannot be. */
  async start(): Promise<void> {
    await this.launch();
  }

  get available(): boolean {
    return !this.down && !this.closed;
  }

  /** The analysis image size the detector wants for source frames of this size. */
  async inputSize(sourceWidth: number, sourceHeight: number): Promise<{ width: number; height: number }> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.sizeWaiters.set(id, resolve);
      this.post({ type: 'size', id, sourceWidth, sourceHeight });
    });
  }

  /** The shared pool analysis frames are decoded into; reallocated only when a larger slot is needed. */
  framePool(slotBytes: number, slots: number): FramePool {
    if (this.pool && this.pool.slotBytes >= slotBytes && this.pool.capacity >= slots && this.pool.available === this.pool.capacity) return this.pool;
    this.pool = new FramePool(slots, slotBytes, true);
    this.post({ type: 'pool', memory: this.pool.memory as SharedArrayBuffer, slotBytes: this.pool.slotBytes });
    return this.pool;
  }

  detect(slot: number, width: number, height: number, frame: FrameInfo): Promise<DetectOutcome> {
    if (!this.available) return Promise.resolve({ ok: false, reason: 'unavailable' });
    return new Promise((resolve) => {
      this.queue.push({ message: { type: 'detect', id: this.nextId++, slot, width, height, frame }, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failQueued('unavailable');
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await retire(worker, CLOSE_GRACE_MS);
  }

  private launch(): Promise<void> {
    const worker = spawnWorker();
    this.worker = worker;
    worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    worker.on('error', (error) => this.onWorkerLost(worker, 'crashed', error.message));
    worker.on('exit', (code) => this.onWorkerLost(worker, 'crashed', `worker exited with code ${code}`));
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new GatewayError('PGW_ERR_DETECTOR_FAILED', 'detector worker did not load its models in time')), this.options.initTimeoutMs);
      const onReady = (message: WorkerMessage): void => {
        if (message.type !== 'ready' && message.type !== 'init-failed') return;
        clearTimeout(timer);
        worker.off('message', onReady);
        if (message.type === 'init-failed') {
          reject(new GatewayError('PGW_ERR_DETECTOR_FAILED', `detector failed to start: ${message.message}`));
          return;
        }
        this.detectorId = message.detectorId;
        this.models = message.models;
        this.live = true;
        resolve();
      };
      worker.on('message', onReady);
    });
    this.post({ type: 'init', spec: this.options.spec });
    if (this.pool) this.post({ type: 'pool', memory: this.pool.memory as SharedArrayBuffer, slotBytes: this.pool.slotBytes });
    return this.ready;
  }

  private post(message: HostMessage): void {
    this.worker?.postMessage(message);
  }

  private pump(): void {
    if (this.inFlight || !this.live || this.down || this.closed) return;
    const pending = this.queue.shift();
    if (!pending) return;
    const timer = setTimeout(() => this.onStall(), this.options.detectTimeoutMs);
    this.inFlight = { pending, timer };
    this.post(pending.message);
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'size') {
      this.sizeWaiters.get(message.id)?.({ width: message.width, height: message.height });
      this.sizeWaiters.delete(message.id);
      return;
    }
    if (message.type !== 'result' && message.type !== 'failed') return;
    const current = this.inFlight;
    if (!current || current.pending.message.id !== message.id) return;
    clearTimeout(current.timer);
    this.inFlight = undefined;
    if (message.type === 'failed') this.stats.failures += 1;
    current.pending.resolve(message.type === 'result' ? { ok: true, detections: message.detections } : { ok: false, reason: 'failed' });
    this.pump();
  }

  private onStall(): void {
    this.stats.stalls += 1;
    this.options.logger.warn({ detector: this.detectorId, timeoutMs: this.options.detectTimeoutMs }, 'detector stalled; restarting worker');
    const worker = this.worker;
    this.live = false;
    this.finishInFlight('stalled');
    this.worker = undefined;
    if (worker) void retire(worker, STALLED_GRACE_MS, { background: true });
    this.restart();
  }

  private onWorkerLost(worker: Worker, reason: DetectFailure, detail: string): void {
    if (worker !== this.worker || this.closed) return;
    this.stats.crashes += 1;
    this.options.logger.warn({ detector: this.detectorId, detail }, 'detector worker crashed; restarting');
    this.worker = undefined;
    this.live = false;
    this.finishInFlight(reason);
    this.restart();
  }

  private finishInFlight(reason: DetectFailure): void {
    const current = this.inFlight;
    if (!current) return;
    clearTimeout(current.timer);
    this.inFlight = undefined;
    current.pending.resolve({ ok: false, reason });
  }

  private restart(): void {
    if (this.closed) return;
    const now = this.options.clock.monotonic();
    if (!withinRestartBudget(this.restartTimes, now, this.options.maxRestarts, this.options.restartWindowMs)) {
      this.down = true;
      this.options.logger.error({ detector: this.detectorId, restarts: this.restartTimes.length }, 'detector restart budget exhausted; frames stay fully redacted');
      this.failQueued('unavailable');
      return;
    }
    this.restartTimes.push(now);
    this.stats.restarts += 1;
    this.launch().then(
      () => this.pump(),
      (error: unknown) => {
        this.options.logger.error({ err: error }, 'detector worker failed to restart');
        const failed = this.worker;
        failed?.removeAllListeners();
        if (failed) void retire(failed, STALLED_GRACE_MS, { background: true });
        this.worker = undefined;
        this.restart();
      },
    );
  }

  private failQueued(reason: DetectFailure): void {
    this.finishInFlight(reason);
    for (const pending of this.queue.splice(0)) pending.resolve({ ok: false, reason });
  }
}
