import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/catalog/outbox-store.js';
import { systemClock } from '../../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import { MqttSink } from '../../src/uplink/mqtt-sink.js';
import { createDeliveryMetrics, OutboxWorker } from '../../src/uplink/outbox-worker.js';
import { temporaryDirectory, testCatalog } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** The real broker when it answers, else an in-process aedes broker. */
async function brokerUrl(): Promise<{ url: string; close: () => Promise<void> }> {
  try {
    const probe = await mqtt.connectAsync(MQTT_URL, { connectTimeout: 1500, reconnectPeriod: 0 });
    await probe.endAsync();
    return { url: MQTT_URL, close: async () => undefined };
  } catch {
    const broker = await Aedes.createBroker();
    const server: Server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `mqtt://127.0.0.1:${port}`, close: () => new Promise((resolve) => { broker.close(() => server.close(() => resolve())); }) };
  }
}

describe('MqttSink against a real broker (events and checkpoints, in order per group)', () => {
  const directory = temporaryDirectory('mqtt-sink');
  const prefix = `pgw-test-${randomBytes(4).toString('hex')}`;
  let broker: { url: string; close: () => Promise<void> };
  let proxy: TcpProxy;

  beforeAll(async () => {
    broker = await brokerUrl();
    const target = new URL(broker.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 1883));
    await proxy.up();
  });
  afterAll(async () => {
    await proxy.down();
    await broker.close();
    directory.remove();
  });

  it('publishes each group in enqueue order with QoS 1, across a broker outage, each key at least once', async () => {
    const received: { topic: string; key: string; id: number }[] = [];
    const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
    subscriber.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString());
      received.push({ topic, key: message.key, id: message.body.id });
    });

    const db = testCatalog(directory.path);
    const sink = new MqttSink({ url: `mqtt://127.0.0.1:${proxy.port}`, topicPrefix: prefix, clientId: `${prefix}-gw`, publishTimeoutMs: 2000, logger: silentLogger() });
    expect(sink.accepts('segment')).toBe(false);
    expect(sink.accepts('audit_checkpoint')).toBe(true);
    const store = new OutboxStore(db, [sink], systemClock);
    const worker = new OutboxWorker({
      sink, store, clock: systemClock, logger: silentLogger(), retry: { baseMs: 20, maxMs: 100 }, circuit: { failureThreshold: 3, openMs: 100 },
      batchSize: 100, gatewayId: 'gw-mqtt', metrics: createDeliveryMetrics(new Registry()),
    });
    const keys: string[] = [];
    const enqueue = (from: number, to: number) => {
      for (let id = from; id < to; id += 1) {
        const key = idempotencyKey(`event:${id}`, jsonSha256({ id }));
        keys.push(key);
        store.enqueue({ kind: 'sensor_record', key, group: id % 2 === 0 ? 'even' : 'odd', body: { id } });
      }
    };
    const deliverAll = async () => {
      const deadline = Date.now() + 15_000;
      while (store.backlog(sink.name).backlog > 0 && Date.now() < deadline) {
        await worker.deliverDue();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    store.enqueue({ kind: 'segment', key: idempotencyKey('segment:x', 'f'.repeat(64)), group: 'even' });
    enqueue(0, 10);
    await sink.start();
    await deliverAll();
    await proxy.down();
    enqueue(10, 20);
    await worker.deliverDue();
    expect(store.backlog(sink.name).backlog).toBe(10);
    await proxy.up();
    await deliverAll();
    expect(store.backlog(sink.name).backlog).toBe(0);
    const deadline = Date.now() + 5000;
    while (new Set(received.map((message) => message.key)).size < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(new Set(received.map((message) => message.key))).toEqual(new Set(keys));
    for (const group of ['even', 'odd']) {
      const ids = received.filter((message) => message.topic === `${prefix}/gw-mqtt/sensor_record/${group}`).map((message) => message.id);
      const firstSeen = ids.filter((id, index) => ids.indexOf(id) === index);
      expect(firstSeen).toEqual([...firstSeen].sort((a, b) => a - b));
      expect(firstSeen).toHaveLength(10);
    }
    await sink.stop();
    await subscriber.endAsync();
    db.close();
  });
});
