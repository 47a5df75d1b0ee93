import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

/**
 * Counters per topic filter (the policy's or subscription's filter, never the concrete topic: topics
 * often carry a device id). Drops are logged at most once per filter and reason per interval, with
 * the number of drops since the last line, so a flood of bad input cannot flood the log.
 */

export const DROP_REASONS = ['unknown_topic', 'oversized', 'not_json', 'not_object', 'invalid_field', 'late', 'future', 'overloaded'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface TopicCounters {
  received: number;
  forwarded: number;
  aggregated: number;
  unknownFieldsRemoved: number;
  dropped: Record<DropReason, number>;
}

export interface SensorStatsSnapshot {
  readonly topics: Readonly<Record<string, TopicCounters>>;
  readonly aggregatesForwarded: number;
}

function emptyCounters(): TopicCounters {
  const dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
  return { received: 0, forwarded: 0, aggregated: 0, unknownFieldsRemoved: 0, dropped };
}

export class SensorStats {
  private readonly topics = new Map<string, TopicCounters>();
  private readonly lastLog = new Map<string, { atMs: number; since: number }>();
  private aggregatesForwarded = 0;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly logIntervalMs: number,
  ) {}

  received(filter: string): void {
    this.countersOf(filter).received++;
  }

  forwarded(filter: string): void {
    this.countersOf(filter).forwarded++;
  }

  aggregated(filter: string, unknownFields: number): void {
    const counters = this.countersOf(filter);
    counters.aggregated++;
    counters.unknownFieldsRemoved += unknownFields;
  }

  unknownFieldsRemoved(filter: string, count: number): void {
    this.countersOf(filter).unknownFieldsRemoved += count;
  }

  aggregateForwarded(): void {
    this.aggregatesForwarded++;
  }

  /** Counts a dropped message; `field` names the failing policy field (never its value). */
  dropped(filter: string, reason: DropReason, field?: string): void {
    this.countersOf(filter).dropped[reason]++;
    const key = `${filter}\u0000${reason}`;
    const now = this.clock.monotonic();
    const last = this.lastLog.get(key);
    if (last && now - last.atMs < this.logIntervalMs) {
      last.since++;
      return;
    }
    this.lastLog.set(key, { atMs: now, since: 0 });
    this.logger.warn({ filter, reason, field, droppedSinceLastLine: last?.since ?? 0 }, 'sensor message dropped');
  }

  snapshot(): SensorStatsSnapshot {
    const topics: Record<string, TopicCounters> = {};
    for (const [filter, counters] of this.topics) topics[filter] = { ...counters, dropped: { ...counters.dropped } };
    return { topics, aggregatesForwarded: this.aggregatesForwarded };
  }

  private countersOf(filter: string): TopicCounters {
    let counters = this.topics.get(filter);
    if (!counters) {
      counters = emptyCounters();
      this.topics.set(filter, counters);
    }
    return counters;
  }
}
