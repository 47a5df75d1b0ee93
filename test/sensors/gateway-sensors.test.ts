import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import type { MqttOutputMessage } from '../../src/sensors/sensor-forwarders.js';
import { silentLogger } from '../../src/shared/logger.js';
import { sharedBroker, type TestBroker } from './helpers/brokers.js';
import { clearSession, publisher, tempDir, uniqueRoot, waitUntil, writePolicyDir } from './helpers/sensor-harness.js';

describe('gateway composition with sensors enabled', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await sharedBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('starts the sensor component from config, forwards minimized records to the output topic, and stops cleanly', async () => {
    const root = uniqueRoot();
    const outputRoot = uniqueRoot();
    const clientId = `pgw-test-gw-${randomUUID().slice(0, 8)}`;
    const policyDir = writePolicyDir([
      {
        id: 'noise',
        topics: [`${root}/noise/+/level`],
        fields: { db: { action: 'coarsen', type: 'number', binWidth: 5 }, at: { action: 'coarsen', type: 'point', decimals: 2 } },
        output: { mode: 'record' },
      },
    ]);
    const config = configSchema.parse({
      dataDir: tempDir('gateway'),
      http: { port: 0 },
      sensors: { enabled: true, mqttUrl: broker.url, protocolVersion: broker.protocolVersion, clientId, topics: [`${root}/#`], policyDir, output: 'mqtt', outputTopic: outputRoot, sessionExpirySec: 600 },
    });
    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion });
    const received: MqttOutputMessage[] = [];
    consumer.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as MqttOutputMessage));
    await consumer.subscribeAsync(`${outputRoot}/#`, { qos: 1 });
    const gateway = createGateway(config, silentLogger());
    await gateway.start();
    const pub = await publisher(broker);
    try {
      await pub.publishAsync(`${root}/noise/mic-3/level`, JSON.stringify({ db: 67.4, at: { lat: 43.04812, lon: -76.14742 }, mic: 'MIC-SERIAL-3' }), { qos: 1 });
      await waitUntil(() => received.length === 1, 10_000, 'the forwarded noise record');
      expect(received[0]?.body).toEqual({ schemaVersion: 1, policyId: 'noise', policyVersion: 1, fields: { db: 65, at: { lat: 43.05, lon: -76.15 } } });
    } finally {
      await pub.endAsync();
      await gateway.stop();
      await consumer.endAsync();
      await clearSession(broker, clientId);
    }
  });
});
