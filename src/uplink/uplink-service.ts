import { Gauge, type Registry } from 'prom-client';
import type { OutboxStore } from '../catalog/outbox-store.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { RepeatedFailureLog } from '../shared/repeated-failure.js';
import type { OutboxItem, OutboxPort, StoragePressurePort } from '../shared/ports.js';
import type { CircuitPolicy, RetryPolicy } from './delivery-policy.js';
import { createDeliveryMetrics, OutboxWorker, type SinkHealth } from './outbox-worker.js';
import type { Sink } from './sink.js';
import type { SpoolGuard, SpoolStatus } from './spool-guard.js';

export interface UplinkServiceOptions {
  readonly store: OutboxStore;
  readonly sinks: readonly Sink[];
  readonly spool: SpoolGuard;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly gatewayId: string;
  readonly retry: RetryPolicy;
  readonly circuit: CircuitPolicy;
  readonly batchSize: number;
  /** Longest sleep of an idle worker; new items wake it at once. */
  readonly pollIntervalMs: number;
  readonly spoolCheckIntervalMs: number;
  readonly random?: () => number;
}

export interface SinkStatus extends SinkHealth {
  readonly name: string;
  readonly ordered: boolean;
  readonly backlog: number;
  readonly dead: number;
  readonly delivered: number;
  readonly oldestItemAgeMs: number | null;
}

export interface UplinkStatus {
  readonly sinks: SinkStatus[];
  readonly spool: SpoolStatus;
}

/** A sleep that `wake()` cuts short. */
class Waker {
  private release: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.release = resolve;
      this.timer = setTimeout(resolve, Math.max(0, ms));
    });
  }

  wake(): void {
    clearTimeout(this.timer);
    this.release?.();
    this.release = undefined;
  }
}

/**
 * The uplink: the outbox port producers enqueue into, one delivery loop per sink, the spool guard, status and
 * metrics. Constructing it does nothing; `start()` recovers the spool, starts sinks and loops; `stop()` ends them.
 */
export class UplinkService implements OutboxPort, StoragePressurePort {
  private readonly workers: OutboxWorker[];
  private readonly wakers = new Map<string, Waker>();
  private loops: Promise<void>[] = [];
  private spoolTimer: NodeJS.Timeout | undefined;
  private readonly spoolCheckFailures: RepeatedFailureLog;
  private running = false;

  constructor(private readonly options: UplinkServiceOptions) {
    const metrics = createDeliveryMetrics(options.registry);
    this.workers = options.sinks.map((sink) => new OutboxWorker({
      sink, store: options.store, clock: options.clock, logger: options.logger, retry: options.retry,
      circuit: options.circuit, batchSize: options.batchSize, gatewayId: options.gatewayId, metrics,
      ...(options.random && { random: options.random }),
    }));
    this.registerBacklogGauges(options.registry);
    this.spoolCheckFailures = new RepeatedFailureLog(options.logger, {}, 'spool check');
  }

  enqueue(item: OutboxItem): void {
    this.options.store.enqueue(item);
    this.wakeAll();
  }

  /** Records an artefact and its outbox items in one catalog transaction (see `OutboxStore.enqueueAtomically`). */
  enqueueAtomically<T>(record: () => T, items: readonly OutboxItem[]): T {
    const result = this.options.store.enqueueAtomically(record, items);
    this.wakeAll();
    return result;
  }

  acceptingOriginals(): boolean {
    return this.options.spool.acceptingOriginals();
  }

  async start(): Promise<void> {
    this.options.spool.recover();
    this.options.spool.check();
    for (const sink of this.options.sinks) await sink.start();
    this.running = true;
    this.loops = this.workers.map((worker) => this.pump(worker));
    this.spoolTimer = setInterval(() => this.checkSpool(), this.options.spoolCheckIntervalMs);
    this.spoolTimer.unref();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.spoolTimer);
    this.wakeAll();
    await Promise.all(this.loops);
    for (const sink of [...this.options.sinks].reverse()) await sink.stop();
  }

  status(): UplinkStatus {
    const now = this.options.clock.now();
    const sinks = this.workers.map((worker, index) => {
      const sink = this.options.sinks[index] as Sink;
      const backlog = this.options.store.backlog(sink.name);
      const health = worker.health();
      return {
        name: sink.name, ordered: sink.ordered, backlog: backlog.backlog, dead: backlog.dead, delivered: backlog.delivered,
        oldestItemAgeMs: backlog.oldestCreatedAt === null ? null : Math.max(0, now - backlog.oldestCreatedAt),
        ...health, lastError: health.lastError ?? backlog.lastError,
      };
    });
    return { sinks, spool: this.options.spool.status() };
  }

  /**
   * Delivers until every sink's backlog is empty or `timeoutMs` passes (before maintenance). Waiting retries are
   * made due now; failures still back off and the circuit breaker still applies. Resolves with the final status.
   */
  async drain(timeoutMs: number): Promise<{ drained: boolean; status: UplinkStatus }> {
    const deadline = this.options.clock.monotonic() + timeoutMs;
    for (const sink of this.options.sinks) this.options.store.makeDueNow(sink.name);
    this.wakeAll();
    for (;;) {
      // While the delivery loops run they do the work (one deliverer per sink); otherwise deliver here.
      let delivered = 0;
      if (!this.running) for (const worker of this.workers) delivered += (await worker.deliverDue()).delivered;
      const status = this.status();
      if (status.sinks.every((sink) => sink.backlog === 0)) return { drained: true, status };
      const remaining = deadline - this.options.clock.monotonic();
      if (remaining <= 0) return { drained: false, status };
      if (delivered === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(remaining, this.running ? 20 : this.idleWaitMs())));
    }
  }

  /**
   * For `uplink drain` in its own process: starts the sinks (not the spool recovery, which would race a running
   * gateway's in-flight writes), drains, stops the sinks. Redelivery racing a running gateway is harmless: sinks
   * are idempotent on the key.
   */
  async drainStandalone(timeoutMs: number): Promise<{ drained: boolean; status: UplinkStatus }> {
    if (this.running) return this.drain(timeoutMs);
    this.options.spool.check();
    for (const sink of this.options.sinks) await sink.start();
    try {
      return await this.drain(timeoutMs);
    } finally {
      for (const sink of [...this.options.sinks].reverse()) await sink.stop();
    }
  }

  private async pump(worker: OutboxWorker): Promise<void> {
    const waker = new Waker();
    this.wakers.set(worker.sinkName, waker);
    const failures = new RepeatedFailureLog(this.options.logger, { sink: worker.sinkName }, 'outbox delivery loop');
    while (this.running) {
      let batch = { delivered: 0, failed: 0 };
      try {
        batch = await worker.deliverDue();
        failures.succeeded();
      } catch (error) {
        failures.failed(error, 'retrying after the poll interval');
      }
      if (!this.running) break;
      if (batch.delivered > 0 && batch.failed === 0) continue;
      await waker.sleep(this.sleepMs(worker));
    }
  }

  private sleepMs(worker: OutboxWorker): number {
    const circuitWait = worker.circuitWaitMs();
    if (circuitWait > 0) return Math.min(circuitWait, this.options.pollIntervalMs);
    const nextDue = this.options.store.nextDueAt(worker.sinkName);
    if (nextDue === null) return this.options.pollIntervalMs;
    return Math.min(this.options.pollIntervalMs, Math.max(10, nextDue - this.options.clock.now()));
  }

  private idleWaitMs(): number {
    return Math.min(...this.workers.map((worker) => this.sleepMs(worker)), this.options.pollIntervalMs);
  }

  private wakeAll(): void {
    for (const waker of this.wakers.values()) waker.wake();
  }

  private checkSpool(): void {
    try {
      this.options.spool.check();
      this.spoolCheckFailures.succeeded();
    } catch (error) {
      this.spoolCheckFailures.failed(error, 'retrying at the next interval');
    }
  }

  private registerBacklogGauges(registry: Registry): void {
    const read = () => this.status().sinks;
    new Gauge({
      name: 'pgw_uplink_backlog_items', help: 'Outbox items not yet delivered, per sink.', labelNames: ['sink'], registers: [registry],
      collect() { for (const sink of read()) this.set({ sink: sink.name }, sink.backlog); },
    });
    new Gauge({
      name: 'pgw_uplink_oldest_item_age_seconds', help: 'Age of the oldest undelivered outbox item, per sink.', labelNames: ['sink'], registers: [registry],
      collect() { for (const sink of read()) this.set({ sink: sink.name }, (sink.oldestItemAgeMs ?? 0) / 1000); },
    });
    new Gauge({
      name: 'pgw_uplink_circuit_open', help: '1 while a sink circuit is open or half-open.', labelNames: ['sink'], registers: [registry],
      collect() { for (const sink of read()) this.set({ sink: sink.name }, sink.circuit === 'closed' ? 0 : 1); },
    });
  }
}
