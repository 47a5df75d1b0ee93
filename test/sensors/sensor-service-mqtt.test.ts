import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MqttTopicSensorForwarder, type MqttOutputMessage, type SensorForwarder } from '../../src/sensors/sensor-forwarders.js';
import type { PolicySetInput } from '../../src/sensors/policy-schema.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { sharedBroker, type TestBroker } from './helpers/brokers.js';
import { CollectingForwarder } from './helpers/collecting-forwarder.js';
import { clearSession, createService, publisher, tempDir, uniqueRoot, waitUntil, writePolicyDir } from './helpers/sensor-harness.js';

const START = Date.UTC(2026, 2, 3, 9, 0, 0);

function policiesFor(root: string): PolicySetInput['policies'] {
  return [
    {
      id: 'air-quality',
      topics: [`${root}/air/+/reading`],
      fields: {
        pm25: { action: 'keep', type: 'number', min: 0, max: 2000 },
        location: { action: 'coarsen', type: 'point', decimals: 3 },
        ts: { action: 'coarsen', type: 'timestamp', bucketMs: 60_000 },
      },
      output: { mode: 'record' },
    },
    {
      id: 'wifi-presence',
      topics: [`${root}/wifi/+/presence`],
      fields: {
        mac: { action: 'pseudonymize', type: 'identifier', normalize: 'mac' },
        zone: { action: 'keep', type: 'string' },
        ts: { action: 'coarsen', type: 'timestamp', bucketMs: 900_000 },
      },
      output: { mode: 'aggregate', zoneField: 'zone', timeField: 'ts', windowMs: 900_000, metric: 'count', distinctField: 'mac', k: 10 },
    },
    {
      id: 'bluetooth-transit',
      topics: [`${root}/bt/+/seen`],
      fields: {
        mac: { action: 'pseudonymize', type: 'identifier', normalize: 'mac' },
        zone: { action: 'keep', type: 'string' },
      },
      output: { mode: 'record' },
    },
  ];
}

describe('sensor service over MQTT (real broker when reachable)', () => {
  let broker: TestBroker;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    broker = await sharedBroker();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await broker.close();
  });

  async function setup<F extends SensorForwarder = CollectingForwarder>(forwarder: F = new CollectingForwarder() as unknown as F) {
    const root = uniqueRoot();
    const clock = new ManualClock(START);
    const clientId = `pgw-test-${randomUUID().slice(0, 8)}`;
    const dataDir = tempDir('data');
    const service = createService({ broker, root, policyDir: writePolicyDir(policiesFor(root)), dataDir, clientId, clock, forwarder });
    await service.start();
    const pub = await publisher(broker);
    cleanups.push(async () => {
      await pub.endAsync();
      await service.stop();
      await clearSession(broker, clientId);
    });
    const send = (topic: string, body: unknown): Promise<unknown> =>
      pub.publishAsync(`${root}/${topic}`, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), { qos: 1 });
    return { root, clock, service, forwarder, send, dataDir };
  }

  it('A7/A10: forwards only the named fields, coarsened, to the MQTT output topic with schema and policy version', async () => {
    const outputRoot = uniqueRoot();
    const forwarder = new MqttTopicSensorForwarder({ url: broker.url, clientId: `pgw-test-out-${randomUUID().slice(0, 8)}`, protocolVersion: broker.protocolVersion, topicPrefix: outputRoot, reconnectMs: 100 }, silentLogger());
    forwarder.start();
    cleanups.push(() => forwarder.close());
    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion });
    cleanups.push(() => consumer.endAsync());
    const received: Array<{ topic: string; message: MqttOutputMessage }> = [];
    consumer.on('message', (topic, payload) => received.push({ topic, message: JSON.parse(payload.toString()) as MqttOutputMessage }));
    await consumer.subscribeAsync(`${outputRoot}/#`, { qos: 1 });
    const { send } = await setup(forwarder);
    const raw = { pm25: 17.25, location: { lat: 43.0481234, lon: -76.1474567 }, ts: '2026-03-03T09:04:59.123Z', serial: 'AQ-SN-554433', mac: 'de:ad:be:ef:00:01' };

    await send('air/station-7/reading', raw);

    await waitUntil(() => received.length === 1, 10_000, 'forwarded record');
    const [{ topic, message }] = received as [{ topic: string; message: MqttOutputMessage }];
    expect(topic).toBe(`${outputRoot}/air-quality`);
    expect(message.kind).toBe('sensor_record');
    expect(message.key).toMatch(/^sensor_record:air-quality@sha256:[0-9a-f]{64}$/);
    expect(message.body).toEqual({
      schemaVersion: 1,
      policyId: 'air-quality',
      policyVersion: 1,
      fields: { pm25: 17.25, location: { lat: 43.048, lon: -76.147 }, ts: Date.UTC(2026, 2, 3, 9, 4) },
    });
    const wire = JSON.stringify(message);
    for (const secret of ['AQ-SN-554433', 'de:ad:be:ef', 'station-7', '43.0481', '-76.1474']) expect(wire).not.toContain(secret);
  });

  it('H6/P4: bad payloads are dropped and counted, never forwarded, and the subscription keeps running', async () => {
    const { send, forwarder, service } = await setup();
    const reading = { pm25: 5, location: { lat: 43.05, lon: -76.15 }, ts: START };
    await send('air/s1/reading', 'not json {');
    await send('air/s1/reading', Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
    await send('air/s1/reading', JSON.stringify([reading]));
    await send('air/s1/reading', { ...reading, pm25: 'five' });
    await send('air/s1/reading', { ...reading, pad: 'x'.repeat(4096) });
    await send('air/s1/reading', '');
    await send('unknown-kind/s1/reading', reading);
    await send('air/s1/reading', reading);

    await waitUntil(() => forwarder.items.length === 1, 10_000, 'the valid reading');
    const stats = service.statsView();
    expect(stats.topics[`${'(no policy)'}`]?.dropped.unknown_topic).toBe(1);
    const air = Object.entries(stats.topics).find(([filter]) => filter.endsWith('/air/+/reading'))?.[1];
    expect(air).toMatchObject({ received: 7, forwarded: 1, dropped: { not_json: 3, not_object: 1, invalid_field: 1, oversized: 1 } });
    expect(stats.connection).toBe('connected');
    expect(JSON.stringify(forwarder.items)).not.toContain('five');
  });

  it('A8: the same MAC gets the same token within a rotation period and a different one after; A7: no raw MAC on disk', async () => {
    const { send, forwarder, clock, dataDir } = await setup();
    await send('bt/r1/seen', { mac: 'AA-BB-CC-01-02-03', zone: 'north' });
    await send('bt/r2/seen', { mac: 'aa:bb:cc:01:02:03', zone: 'south' });
    await waitUntil(() => forwarder.items.length === 2, 10_000, 'two sightings');
    clock.advance(86_400_000);
    await send('bt/r1/seen', { mac: 'aa:bb:cc:01:02:03', zone: 'north', seq: 2 });
    await waitUntil(() => forwarder.items.length === 3, 10_000, 'the sighting after rotation');
    const tokens = forwarder.items.map((item) => (item.body?.fields as { mac: string }).mac);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(JSON.stringify(forwarder.items).toLowerCase()).not.toMatch(/aa[:-]bb[:-]cc/);
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(readFileSync(join(file.parentPath, file.name)).toString('latin1').toLowerCase()).not.toMatch(/aa[:-]?bb[:-]?cc[:-]?01/);
  });

  it('A9: Wi-Fi presence leaves as distinct devices per zone and 15-minute window, small cells suppressed', async () => {
    const { send, forwarder, clock, service } = await setup();
    const sightings: Array<[string, number]> = [['plaza', 14], ['library', 3], ['station', 10]];
    for (const [index, [zone, devices]] of sightings.entries()) {
      for (let device = 0; device < devices; device++) {
        const mac = `02:00:00:0${index}:00:${device.toString(16).padStart(2, '0')}`;
        for (let probe = 0; probe < 2; probe++) await send(`wifi/ap-${device % 3}/presence`, { mac, zone, ts: START + probe * 60_000, rssi: -60 });
      }
    }
    await waitUntil(() => service.statsView().topics[Object.keys(service.statsView().topics).find((f) => f.includes('wifi')) ?? '']?.aggregated === 54, 10_000, 'all probes');
    expect(await service.flushWindows()).toBe(0);
    clock.advance(900_000 + 60_000);
    expect(await service.flushWindows()).toBe(1);
    const [aggregate] = forwarder.items;
    expect(aggregate?.kind).toBe('sensor_aggregate');
    expect(aggregate?.body).toMatchObject({
      schemaVersion: 1,
      policyId: 'wifi-presence',
      policyVersion: 1,
      windowStart: START,
      windowEnd: START + 900_000,
      k: 10,
      cells: [{ zone: 'plaza', n: 14, value: 14 }],
      total: { n: 27, value: 27 },
      suppressedPrimary: 1,
      suppressedComplementary: 1,
    });
    expect(JSON.stringify(aggregate)).not.toMatch(/02:00:00|library|station|ap-/);
  });

  it('publishes open windows, marked partial, when the gateway stops', async () => {
    const forwarder = new CollectingForwarder();
    const { send, service } = await setup(forwarder);
    for (let device = 0; device < 12; device++) await send('wifi/ap-1/presence', { mac: `02:00:00:09:00:${device.toString(16).padStart(2, '0')}`, zone: 'plaza', ts: START });
    await waitUntil(() => Object.values(service.statsView().topics).some((counters) => counters.aggregated === 12), 10_000, 'all probes');
    expect(forwarder.items).toHaveLength(0);
    await service.stop();
    expect(forwarder.items).toHaveLength(1);
    expect(forwarder.items[0]?.body).toMatchObject({ partial: true, cells: [{ zone: 'plaza', n: 12 }], total: { n: 12 } });
  });
});
