import { describe, expect, it } from 'vitest';
import { OutboxSensorForwarder } from '../../src/sensors/sensor-forwarders.js';
import type { OutboxItem, OutboxPort } from '../../src/shared/ports.js';

describe('OutboxSensorForwarder', () => {
  it('hands each item to the outbox unchanged, key included, and fails when the outbox refuses', async () => {
    const enqueued: OutboxItem[] = [];
    let refuse = false;
    const outbox: OutboxPort = {
      enqueue: (item) => {
        if (refuse) throw new Error('outbox full');
        enqueued.push(item);
      },
    };
    const forwarder = new OutboxSensorForwarder(outbox);
    const item: OutboxItem = { kind: 'sensor_record', key: `sensor_record:air@sha256:${'ab'.repeat(32)}`, group: 'air', body: { schemaVersion: 1, policyVersion: 3, fields: { pm25: 4 } } };
    await forwarder.forward(item);
    expect(enqueued).toEqual([item]);
    refuse = true;
    // A rejection keeps the MQTT message unacknowledged, so the broker redelivers it.
    await expect(forwarder.forward(item)).rejects.toThrow('outbox full');
  });
});
