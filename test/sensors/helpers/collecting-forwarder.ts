import type { SensorForwarder } from '../../../src/sensors/sensor-forwarders.js';
import type { OutboxItem } from '../../../src/shared/ports.js';

/** An in-memory stand-in for the uplink outbox (built elsewhere): keeps every item, dedupes by key on read. */
export class CollectingForwarder implements SensorForwarder {
  readonly items: OutboxItem[] = [];

  async forward(item: OutboxItem): Promise<void> {
    this.items.push(item);
  }

  async close(): Promise<void> {}

  /** What central storage keeps: one item per idempotency key. */
  unique(): OutboxItem[] {
    return [...new Map(this.items.map((item) => [item.key, item])).values()];
  }
}
