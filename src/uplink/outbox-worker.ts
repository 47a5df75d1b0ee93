import { existsSync } from 'node:fs';
import { Counter, type Registry } from 'prom-client';
import type { OutboxStore, PendingItem } from '../catalog/outbox-store.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import { scrubUrlCredentials, type Logger } from '../shared/logger.js';
import {
  CLOSED_CIRCUIT, circuitAfterFailure, circuitAfterSuccess, circuitBeforeAttempt,
  retryDelayMs, type CircuitPolicy, type CircuitState, type RetryPolicy,
} from './delivery-policy.js';
import type { Sink } from './sink.js';

export interface DeliveryMetrics {
  readonly delivered: Counter<'sink'>;
  readonly failures: Counter<'sink'>;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  return {
    delivered: new Counter({ name: 'pgw_uplink_delivered_total', help: 'Outbox items delivered, per sink.', labelNames: ['sink'], registers: [registry] }),
    failures: new Counter({ name: 'pgw_uplink_delivery_failures_total', help: 'Failed delivery attempts, per sink.', labelNames: ['sink'], registers: [registry] }),
  };
}

export interface OutboxWorkerOptions {
  readonly sink: Sink;
  readonly store: OutboxStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly circuit: CircuitPolicy;
  readonly batchSize: number;
  readonly gatewayId: string;
  readonly metrics: DeliveryMetrics;
  /** Source of jitter in [0, 1). */
  readonly random?: () => number;
}

export interface SinkHealth {
  readonly circuit: CircuitState['phase'];
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly lastDeliveryAt: number | null;
}

/**
 * Delivers one sink's due outbox items: at-least-once (the row is marked delivered only after the sink has
 * durably accepted it), exponential backoff with jitter per item, and a circuit breaker per sink that stops
 * hammering a central store that is down.
 */
export class OutboxWorker {
  private circuit: CircuitState = CLOSED_CIRCUIT;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastDeliveryAt: number | null = null;
  private readonly random: () => number;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.random = options.random ?? Math.random;
  }

  get sinkName(): string {
    return this.options.sink.name;
  }

  health(): SinkHealth {
    // An open circuit whose wait is over lets the next attempt through: it is half-open in effect.
    const phase = this.circuit.phase === 'open' && this.circuitWaitMs() === 0 ? 'half_open' : this.circuit.phase;
    return { circuit: phase, lastError: this.lastError, lastErrorAt: this.lastErrorAt, lastDeliveryAt: this.lastDeliveryAt };
  }

  /** Ms (monotonic) until the open circuit allows a trial; 0 when closed. */
  circuitWaitMs(): number {
    if (this.circuit.phase !== 'open') return 0;
    return Math.max(0, this.circuit.openedAt + this.options.circuit.openMs - this.options.clock.monotonic());
  }

  /** Delivers one batch of due items; returns how many were delivered. */
  async deliverDue(): Promise<{ delivered: number; failed: number }> {
    const { store, sink, batchSize } = this.options;
    let delivered = 0;
    let failed = 0;
    for (const item of store.due(sink.name, batchSize)) {
      const gate = circuitBeforeAttempt(this.circuit, this.options.clock.monotonic(), this.options.circuit);
      this.circuit = gate.state;
      if (!gate.allowed) break;
      if (await this.deliverOne(item)) delivered += 1;
      else failed += 1;
    }
    return { delivered, failed };
  }

  private async deliverOne(item: PendingItem): Promise<boolean> {
    const { store, sink, clock, metrics } = this.options;
    if (item.filePath !== undefined && !existsSync(item.filePath)) {
      // A retry cannot fix a payload that is gone from the spool: park the item as dead (counted, shown), never drop it.
      store.markDead(item.id, 'spooled payload is missing');
      metrics.failures.inc({ sink: sink.name });
      this.lastError = 'spooled payload is missing';
      this.lastErrorAt = clock.now();
      this.options.logger.error({ sink: sink.name, key: item.key }, 'outbox item undeliverable; parked as dead');
      return false;
    }
    try {
      await sink.deliver(item, { gatewayId: this.options.gatewayId, enqueuedAt: item.createdAt });
    } catch (error) {
      // Shown on the status route: never let a connection URL's password through.
      const message = scrubUrlCredentials(describeError(error));
      metrics.failures.inc({ sink: sink.name });
      this.lastError = message;
      this.lastErrorAt = clock.now();
      const wasOpen = this.circuit.phase !== 'closed';
      this.circuit = circuitAfterFailure(this.circuit, clock.monotonic(), this.options.circuit);
      store.markFailed(item.id, message, clock.now() + retryDelayMs(item.attempts + 1, this.options.retry, this.random()));
      if (this.circuit.phase === 'open' && !wasOpen) this.options.logger.warn({ sink: sink.name, err: error }, 'sink circuit opened');
      return false;
    }
    store.markDelivered(item.id);
    metrics.delivered.inc({ sink: sink.name });
    if (this.circuit.phase !== 'closed') this.options.logger.info({ sink: sink.name }, 'sink circuit closed');
    this.circuit = circuitAfterSuccess();
    this.lastDeliveryAt = clock.now();
    return true;
  }
}
