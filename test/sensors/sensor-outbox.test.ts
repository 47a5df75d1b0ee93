import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { configSchema } from '../../src/config/schema.js';
import { OutboxSensorForwarder, type SensorForwarder } from '../../src/sensors/sensor-forwarders.js';
import type { SensorService } from '../../src/sensors/sensor-service.js';
import { ManualClock, systemClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { OutboxItem } from '../../src/shared/ports.js';
import { createUplink } from '../../src/uplink/build-uplink.js';
import { FilesystemSink } from '../../src/uplink/filesystem-sink.js';
import type { UplinkService } from '../../src/uplink/uplink-service.js';
import { restartableBroker, type RestartableBroker } from './helpers/brokers.js';
import { createService, publisher, RecordingAudit, tempDir, uniqueRoot, waitUntil, writePolicyDir } from './helpers/sensor-harness.js';

/** H4/P8 through the real uplink: a message forwarded twice (gateway died before its PUBACK) is stored centrally once. */
describe('sensor records through the uplink outbox', () => {
  let broker: RestartableBroker | undefined;
  let catalog: CatalogDatabase | undefined;
  let uplink: UplinkService | undefined;
  const services: SensorService[] = [];

  afterEach(async () => {
    for (const service of services.splice(0)) await service.stop();
    await uplink?.stop();
    catalog?.close();
    await broker?.close();
  });

  it('keeps one central copy per message across a gateway restart with redelivery', async () => {
    broker = await restartableBroker(tempDir('broker'));
    const dataDir = tempDir('gateway');
    const central = join(dataDir, 'central');
    catalog = openCatalog(join(dataDir, 'catalog.db'));
    const config = configSchema.parse({ dataDir, uplink: { pollIntervalMs: 20, retryBaseMs: 50 } });
    uplink = createUplink(
      { config, catalog, clock: systemClock, logger: silentLogger(), registry: new Registry(), audit: new RecordingAudit(), holds: { isHeld: () => false } },
      [new FilesystemSink(central, silentLogger())],
    );
    await uplink.start();
    const outbox = new OutboxSensorForwarder(uplink);
    const forwarded: OutboxItem[] = [];
    let stallOn: number | undefined = 4;
    const stalling: SensorForwarder = {
      forward: async (item) => {
        forwarded.push(item);
        await outbox.forward(item);
        if ((item.body?.fields as { seq: number }).seq === stallOn) await new Promise(() => undefined);
      },
      close: async () => {},
    };
    const root = uniqueRoot();
    const base = {
      broker,
      root,
      policyDir: writePolicyDir([{ id: 'counter', topics: [`${root}/count/+`], fields: { seq: { action: 'keep', type: 'integer' } }, output: { mode: 'record' } }]),
      dataDir,
      clientId: `pgw-test-outbox-${randomUUID().slice(0, 8)}`,
      clock: new ManualClock(),
      forwarder: stalling,
      drainTimeoutMs: 200,
    };
    const pub = await publisher(broker);
    const first = createService(base);
    services.push(first);
    await first.start();
    for (let seq = 0; seq < 5; seq++) await pub.publishAsync(`${root}/count/a`, JSON.stringify({ seq }), { qos: 1 });
    await waitUntil(() => forwarded.length === 5, 10_000, 'records up to the stall');
    services.splice(0);
    await first.stop();
    for (let seq = 5; seq < 12; seq++) await pub.publishAsync(`${root}/count/a`, JSON.stringify({ seq }), { qos: 1 });
    stallOn = undefined;
    const second = createService(base);
    services.push(second);
    await second.start();

    await waitUntil(() => forwarded.length === 13, 15_000, 'redelivery and the records sent while away');
    const directory = join(central, 'sensor_record', readdirSync(join(central, 'sensor_record'))[0] ?? '');
    await waitUntil(() => readdirSync(directory).filter((name) => name.endsWith('.json')).length === 12, 10_000, 'central copies');
    const stored = readdirSync(directory)
      .filter((name) => name.endsWith('.json'))
      .map((name) => JSON.parse(readFileSync(join(directory, name), 'utf8')) as { key: string; body: { fields: { seq: number } } });
    expect(stored.map((envelope) => envelope.body.fields.seq).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(forwarded.filter((item) => (item.body?.fields as { seq: number }).seq === 4)).toHaveLength(2);
    expect(uplink.status().sinks[0]).toMatchObject({ delivered: 12, backlog: 0 });
    await pub.endAsync();
  });
});
