import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicySetInput } from '../../src/sensors/policy-schema.js';
import type { SensorForwarder } from '../../src/sensors/sensor-forwarders.js';
import type { SensorService } from '../../src/sensors/sensor-service.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { OutboxItem } from '../../src/shared/ports.js';
import { restartableBroker, type RestartableBroker } from './helpers/brokers.js';
import { CollectingForwarder } from './helpers/collecting-forwarder.js';
import { createService, publisher, tempDir, uniqueRoot, waitUntil, writePolicyDir } from './helpers/sensor-harness.js';

/**
 * H4: QoS 1 with a persistent session loses no sensor message across a broker restart or a gateway
 * restart, and redeliveries carry the same idempotency key so central storage keeps each once.
 * The broker here is our own (a second Mosquitto with persistence, or aedes), never the shared one.
 */

function counterPolicy(root: string): PolicySetInput['policies'] {
  return [
    {
      id: 'traffic-counter',
      topics: [`${root}/traffic/+/count`],
      fields: {
        seq: { action: 'keep', type: 'integer' },
        vehicles: { action: 'keep', type: 'integer', min: 0 },
      },
      output: { mode: 'record' },
    },
  ];
}

/** Forwards like the outbox, but can be made to hang on one item, as if the gateway died right after forwarding it. */
class StallingForwarder implements SensorForwarder {
  readonly inner = new CollectingForwarder();
  stallOnSeq: number | undefined;

  async forward(item: OutboxItem): Promise<void> {
    await this.inner.forward(item);
    if ((item.body?.fields as { seq: number }).seq === this.stallOnSeq) await new Promise(() => undefined);
  }

  async close(): Promise<void> {}
}

function seqs(items: readonly OutboxItem[]): number[] {
  return items.map((item) => (item.body?.fields as { seq: number }).seq).sort((a, b) => a - b);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('H4 MQTT persistence across restarts', () => {
  let broker: RestartableBroker | undefined;
  const services: SensorService[] = [];

  afterEach(async () => {
    for (const service of services.splice(0)) await service.stop();
    await broker?.close();
    broker = undefined;
  });

  async function scenario() {
    broker = await restartableBroker(tempDir('broker'));
    const root = uniqueRoot();
    const base = { broker, root, policyDir: writePolicyDir(counterPolicy(root)), dataDir: tempDir('data'), clientId: `pgw-test-${randomUUID().slice(0, 8)}`, clock: new ManualClock() };
    const start = async (forwarder: SensorForwarder, drainTimeoutMs?: number): Promise<SensorService> => {
      const service = createService({ ...base, forwarder, ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }) });
      await service.start();
      services.push(service);
      return service;
    };
    const stop = async (service: SensorService): Promise<void> => {
      services.splice(services.indexOf(service), 1);
      await service.stop();
    };
    const pub = await publisher(broker);
    const publish = (seq: number): Promise<unknown> => pub.publishAsync(`${root}/traffic/c${seq % 4}/count`, JSON.stringify({ seq, vehicles: seq % 13 }), { qos: 1 });
    return { broker, start, stop, publish, closePublisher: () => pub.endAsync() };
  }

  it('loses nothing when the broker restarts while the gateway is connected, and while it is away', async () => {
    const { broker, start, stop, publish, closePublisher } = await scenario();
    const forwarder = new CollectingForwarder();
    let service = await start(forwarder);
    for (const seq of range(0, 20)) await publish(seq);
    await waitUntil(() => forwarder.items.length === 20, 10_000, 'first batch');

    await broker.restart();
    // The publisher and the gateway both reconnect with backoff; QoS 1 messages sent meanwhile are queued.
    await Promise.all(range(20, 40).map(publish));
    await waitUntil(() => forwarder.unique().length === 40, 20_000, 'messages around the broker restart');

    await stop(service);
    await Promise.all(range(40, 60).map(publish));
    await broker.restart();
    service = await start(forwarder);
    await waitUntil(() => forwarder.unique().length === 60, 20_000, 'messages queued for the away gateway across a broker restart');
    expect(seqs(forwarder.unique())).toEqual(range(0, 60));
    await closePublisher();
  });

  it('loses nothing across a gateway restart, and a redelivered message keeps its idempotency key', async () => {
    const { start, stop, publish, closePublisher } = await scenario();
    const first = new StallingForwarder();
    first.stallOnSeq = 9;
    const service = await start(first, 200);
    for (const seq of range(0, 10)) await publish(seq);
    await waitUntil(() => first.inner.items.length === 10, 10_000, 'messages up to the stall');
    // The gateway goes down with message 9 forwarded but not acknowledged to the broker.
    await stop(service);
    for (const seq of range(10, 30)) await publish(seq);

    const second = new CollectingForwarder();
    await start(second);
    await waitUntil(() => second.items.length >= 21, 20_000, 'redelivery and the messages sent while away');

    const everything = [...first.inner.items, ...second.items];
    const redelivered = everything.filter((item) => (item.body?.fields as { seq: number }).seq === 9);
    expect(redelivered).toHaveLength(2);
    expect(redelivered[0]?.key).toBe(redelivered[1]?.key);
    const downstream = [...new Map(everything.map((item) => [item.key, item])).values()];
    expect(seqs(downstream)).toEqual(range(0, 30));
    await closePublisher();
  });

  it('redelivers a message whose forwarding failed instead of acknowledging it', async () => {
    const { start, publish, closePublisher } = await scenario();
    const delivered = new CollectingForwarder();
    const attempts: number[] = [];
    const flaky: SensorForwarder = {
      forward: async (item) => {
        const seq = (item.body?.fields as { seq: number }).seq;
        attempts.push(seq);
        if (seq === 3 && attempts.filter((attempt) => attempt === 3).length === 1) throw new Error('outbox unavailable');
        await delivered.forward(item);
      },
      close: async () => {},
    };
    await start(flaky);
    for (const seq of range(0, 8)) await publish(seq);
    await waitUntil(() => delivered.unique().length === 8, 20_000, 'all messages after the failed forward');
    expect(seqs(delivered.unique())).toEqual(range(0, 8));
    expect(attempts.filter((seq) => seq === 3).length).toBeGreaterThanOrEqual(2);
    await closePublisher();
  });
});
