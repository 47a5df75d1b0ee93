import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../shared/clock.js';
import { GatewayError, isGatewayError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { AuditEvent, AuditPort } from '../shared/ports.js';
import type { Principal } from '../shared/types.js';
import { loadOrCreateDedupeSecret } from './idempotency-keys.js';
import { MqttIngest, type IngestState } from './mqtt-ingest.js';
import type { VersionedPolicySet } from './policy-schema.js';
import { SensorPolicyStore } from './policy-store.js';
import { PseudonymKeyRing } from './pseudonym-key-ring.js';
import { SensorPipeline } from './sensor-pipeline.js';
import type { SensorForwarder } from './sensor-forwarders.js';
import { SensorStats, type SensorStatsSnapshot } from './sensor-stats.js';
import { WindowAggregator } from './window-aggregator.js';

/** The subset of the `sensors` config section this component reads. */
export interface SensorServiceConfig {
  mqttUrl: string;
  clientId: string;
  protocolVersion: 4 | 5;
  topics: readonly string[];
  sessionExpirySec: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  receiveMaximum: number;
  maxPayloadBytes: number;
  policyDir: string;
  pseudonymRotationMs: number;
  aggregateGraceMs: number;
  dropLogIntervalMs: number;
}

export interface SensorServiceDeps {
  config: SensorServiceConfig;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  audit: AuditPort;
  forwarder: SensorForwarder;
  /** How often closed aggregation windows are published (wall-clock timer; the decision uses `clock`). */
  flushIntervalMs?: number;
  /** How long `stop()` waits for the message in work before leaving it unacknowledged for redelivery. */
  drainTimeoutMs?: number;
}

export interface SensorStatsView extends SensorStatsSnapshot {
  readonly connection: IngestState;
  readonly reconnectAttempt: number;
  readonly policyVersion: number;
  readonly openWindows: number;
  readonly pseudonymKeyPeriod: number | null;
}

const DRAIN_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 10_000;

function digestOf(set: VersionedPolicySet): string {
  return createHash('sha256').update(JSON.stringify(set.policies)).digest('hex');
}

/**
 * The sensors component: subscriber → pipeline → forwarder, plus the policy administration the API
 * exposes. Constructing it does nothing; `start()` connects, `stop()` flushes open windows (marked
 * partial) and disconnects without ending the broker session.
 */
export class SensorService {
  private readonly store: SensorPolicyStore;
  private readonly stats: SensorStats;
  private readonly keyRing: PseudonymKeyRing;
  private readonly aggregator: WindowAggregator;
  private readonly ingest: MqttIngest;
  private readonly logger: Logger;
  private pipeline: SensorPipeline | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SensorServiceDeps) {
    const { config, clock } = deps;
    this.logger = deps.logger.child({ module: 'sensors' });
    this.store = new SensorPolicyStore({ filePath: join(deps.dataDir, 'sensors', 'policies.json'), seedDir: config.policyDir, clock });
    this.stats = new SensorStats(clock, this.logger, config.dropLogIntervalMs);
    this.keyRing = new PseudonymKeyRing({ clock, periodMs: config.pseudonymRotationMs });
    this.aggregator = new WindowAggregator(config.aggregateGraceMs);
    this.ingest = new MqttIngest({ ...config, url: config.mqttUrl, drainTimeoutMs: deps.drainTimeoutMs ?? DRAIN_TIMEOUT_MS, startTimeoutMs: START_TIMEOUT_MS }, this.logger);
  }

  async start(): Promise<void> {
    const set = this.store.load();
    this.pipeline = new SensorPipeline({
      clock: this.deps.clock,
      keyRing: this.keyRing,
      aggregator: this.aggregator,
      forwarder: this.deps.forwarder,
      stats: this.stats,
      dedupeSecret: loadOrCreateDedupeSecret(join(this.deps.dataDir, 'keys', 'sensor-dedupe.key')),
      maxPayloadBytes: this.deps.config.maxPayloadBytes,
      policies: () => this.store.current(),
    });
    this.logger.info({ policyVersion: set.version, policies: set.policies.length }, 'sensor policies loaded');
    const pipeline = this.pipeline;
    await this.ingest.start((topic, payload) => pipeline.handle(topic, payload));
    // Failures are logged by flushWindows and retried on the next tick.
    this.flushTimer = setInterval(() => {
      this.flushWindows().catch(() => undefined);
    }, this.deps.flushIntervalMs ?? 5000);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.ingest.stop();
    try {
      await this.flushWindows(true);
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message }, openWindows: this.aggregator.openWindows() }, 'open sensor windows not forwarded at stop');
    }
    this.keyRing.discard();
  }

  /** Publishes the aggregation windows that have closed by the clock (all open ones when `all`). */
  async flushWindows(all = false): Promise<number> {
    const pipeline = this.pipeline;
    if (!pipeline) return 0;
    const run = this.flushing.then(() => pipeline.flushWindows(all));
    this.flushing = run.catch((error: unknown) => this.logger.warn({ err: { message: (error as Error).message } }, 'sensor aggregates not forwarded; will retry'));
    return run;
  }

  currentPolicies(): VersionedPolicySet {
    return this.store.current();
  }

  /** Validates, versions, audits and stores a new policy set; refused when the audit log cannot be written. */
  replacePolicies(policies: unknown, expectedVersion: number, principal: Principal): VersionedPolicySet {
    const actor = { actor: principal.subject, role: 'operator', action: 'sensors.policies.update' };
    let next: VersionedPolicySet;
    try {
      next = this.store.prepare(policies, expectedVersion, principal.subject);
    } catch (error) {
      if (isGatewayError(error)) this.auditRefusal({ ...actor, object: 'sensor-policies', outcome: 'failure', details: { reason: error.code, expectedVersion } });
      throw error;
    }
    const previous = this.store.current();
    this.appendOrRefuse({
      ...actor,
      object: `sensor-policies:v${next.version}`,
      outcome: 'success',
      details: { previousVersion: previous.version, version: next.version, sha256: digestOf(next), policies: next.policies.map((p) => p.id) },
    });
    try {
      this.store.commit(next);
    } catch (error) {
      this.auditRefusal({ ...actor, object: `sensor-policies:v${next.version}`, outcome: 'failure', details: { reason: 'store failed' } });
      throw error;
    }
    this.logger.info({ policyVersion: next.version, by: principal.subject }, 'sensor policies replaced');
    return next;
  }

  /** F4: a change that cannot be audited does not happen. */
  private appendOrRefuse(event: AuditEvent): void {
    try {
      this.deps.audit.append(event);
    } catch (error) {
      if (isGatewayError(error)) throw error;
      throw new GatewayError('PGW_ERR_AUDIT_UNAVAILABLE', 'the audit log could not record the sensor policy change', {}, { cause: error });
    }
  }

  /** Records a refused change; the refusal itself stands even when the audit log is unavailable. */
  private auditRefusal(event: AuditEvent): void {
    try {
      this.deps.audit.append(event);
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message }, action: event.action }, 'audit of a refused sensor policy change failed');
    }
  }

  statsView(): SensorStatsView {
    const connection = this.ingest.status();
    return {
      ...this.stats.snapshot(),
      connection: connection.state,
      reconnectAttempt: connection.reconnectAttempt,
      policyVersion: this.store.current().version,
      openWindows: this.aggregator.openWindows(),
      pseudonymKeyPeriod: this.keyRing.heldPeriod() ?? null,
    };
  }
}
