import type { Clock } from '../shared/clock.js';
import type { OutboxItem } from '../shared/ports.js';
import { aggregateKey, recordKey } from './idempotency-keys.js';
import { parsePayload } from './payload-parser.js';
import { minimize } from './policy-engine.js';
import type { SensorPolicy, VersionedPolicySet } from './policy-schema.js';
import type { PseudonymKeyRing } from './pseudonym-key-ring.js';
import type { SensorForwarder } from './sensor-forwarders.js';
import type { SensorStats } from './sensor-stats.js';
import { firstMatching, topicMatches } from './topic-filter.js';
import type { WindowAggregate, WindowAggregator } from './window-aggregator.js';

/** Version of the JSON shape of forwarded sensor records and aggregates. */
export const SENSOR_SCHEMA_VERSION = 1;

/** Counter key for messages that no policy covers. */
export const UNMATCHED_FILTER = '(no policy)';

export interface SensorPipelineDeps {
  clock: Clock;
  keyRing: PseudonymKeyRing;
  aggregator: WindowAggregator;
  forwarder: SensorForwarder;
  stats: SensorStats;
  dedupeSecret: Buffer;
  maxPayloadBytes: number;
  policies: () => VersionedPolicySet;
}

function policyFilter(policy: SensorPolicy, topic: string): string {
  return policy.topics.find((filter) => topicMatches(filter, topic)) ?? policy.id;
}

/**
 * One message from the broker to the forwarder: match a policy by topic (default deny), parse,
 * minimize, then forward a record or fold it into a window. Resolves when the message may be
 * acknowledged; rejects only when forwarding failed, so that the broker redelivers it.
 */
export class SensorPipeline {
  private pendingAggregates: WindowAggregate[] = [];

  constructor(private readonly deps: SensorPipelineDeps) {}

  async handle(topic: string, payload: Buffer): Promise<void> {
    const { stats } = this.deps;
    const set = this.deps.policies();
    const policy = firstMatching(set.policies, topic);
    if (!policy) {
      stats.received(UNMATCHED_FILTER);
      stats.dropped(UNMATCHED_FILTER, 'unknown_topic');
      return;
    }
    const filter = policyFilter(policy, topic);
    stats.received(filter);
    const parsed = parsePayload(payload, this.deps.maxPayloadBytes);
    if (!parsed.ok) return stats.dropped(filter, parsed.reason);
    const result = minimize(policy, parsed.value, this.deps.keyRing);
    if (!result.ok) return stats.dropped(filter, result.reason, result.field);
    if (policy.output.mode === 'aggregate') {
      const outcome = this.deps.aggregator.add(policy, set.version, result.fields, this.deps.clock.now());
      if (outcome === 'added') stats.aggregated(filter, result.unknownFields);
      else stats.dropped(filter, outcome);
      return;
    }
    const item: OutboxItem = {
      kind: 'sensor_record',
      key: recordKey(this.deps.dedupeSecret, policy.id, topic, payload),
      group: policy.id,
      body: { schemaVersion: SENSOR_SCHEMA_VERSION, policyId: policy.id, policyVersion: set.version, fields: result.fields },
    };
    await this.deps.forwarder.forward(item);
    stats.unknownFieldsRemoved(filter, result.unknownFields);
    stats.forwarded(filter);
  }

  /**
   * Publishes closed windows (or all open ones when `all`); a window whose forwarding fails stays
   * pending and is retried on the next call. Returns how many aggregates were forwarded.
   */
  async flushWindows(all = false): Promise<number> {
    const { aggregator, clock } = this.deps;
    this.pendingAggregates.push(...(all ? aggregator.flushAll() : aggregator.flushDue(clock.now())));
    let forwarded = 0;
    while (this.pendingAggregates.length > 0) {
      const aggregate = this.pendingAggregates[0] as WindowAggregate;
      const body = { schemaVersion: SENSOR_SCHEMA_VERSION, ...aggregate };
      await this.deps.forwarder.forward({
        kind: 'sensor_aggregate',
        key: aggregateKey(aggregate.policyId, aggregate.policyVersion, aggregate.windowStart, body),
        group: aggregate.policyId,
        body,
      });
      this.pendingAggregates.shift();
      this.deps.stats.aggregateForwarded();
      forwarded++;
    }
    return forwarded;
  }
}
