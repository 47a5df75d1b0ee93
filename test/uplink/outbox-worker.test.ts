import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogDatabase } from '../../src/catalog/database.js';
import { OutboxStore } from '../../src/catalog/outbox-store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import { FilesystemSink } from '../../src/uplink/filesystem-sink.js';
import { createDeliveryMetrics, OutboxWorker } from '../../src/uplink/outbox-worker.js';
import { listTree, SwitchableSink, temporaryDirectory, testCatalog } from './helpers.js';

describe('OutboxWorker with the filesystem sink (P8, H2)', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  let db: CatalogDatabase;
  let clock: ManualClock;
  let sink: SwitchableSink;
  let central: FilesystemSink;
  let store: OutboxStore;
  let worker: OutboxWorker;
  let registry: Registry;

  beforeEach(async () => {
    directory = temporaryDirectory('worker');
    db = testCatalog(directory.path);
    clock = new ManualClock();
    central = new FilesystemSink(join(directory.path, 'central'), silentLogger());
    sink = new SwitchableSink(central);
    store = new OutboxStore(db, [sink], clock);
    registry = new Registry();
    worker = new OutboxWorker({
      sink, store, clock, logger: silentLogger(), retry: { baseMs: 1000, maxMs: 8000 }, circuit: { failureThreshold: 3, openMs: 10_000 },
      batchSize: 100, gatewayId: 'gw-test', metrics: createDeliveryMetrics(registry), random: () => 0.5,
    });
    await sink.start();
  });
  afterEach(() => {
    db.close();
    directory.remove();
  });

  const enqueueRecords = (count: number) => {
    for (let id = 0; id < count; id += 1) {
      store.enqueue({ kind: 'sensor_aggregate', key: idempotencyKey(`agg:${id}`, jsonSha256({ id })), group: 'zone-1', body: { id, count: 12 } });
    }
  };

  it('delivers spooled files and records with provenance, atomically named by key', async () => {
    const segment = join(directory.path, 'spool-seg.mp4');
    writeFileSync(segment, Buffer.alloc(70_000, 7));
    const key = idempotencyKey('segment:cam1:1', 'c'.repeat(64));
    store.enqueue({ kind: 'segment', key, group: 'cam1', filePath: segment, contentType: 'video/mp4', expiresAt: Date.UTC(2026, 1, 1) });
    enqueueRecords(2);
    expect(await worker.deliverDue()).toEqual({ delivered: 3, failed: 0 });
    const envelopePath = central.envelopePath({ kind: 'segment', group: 'cam1', key });
    const envelope = JSON.parse(readFileSync(envelopePath, 'utf8'));
    expect(envelope).toMatchObject({ key, kind: 'segment', group: 'cam1', gatewayId: 'gw-test', contentType: 'video/mp4', expiresAt: Date.UTC(2026, 1, 1), file: { bytes: 70_000 } });
    expect(readFileSync(envelopePath.replace(/\.json$/, '.data'))).toEqual(Buffer.alloc(70_000, 7));
    expect(listTree(join(directory.path, 'central')).filter((file) => file.includes('.partial'))).toEqual([]);
    expect(store.backlog(sink.name)).toMatchObject({ backlog: 0, delivered: 3 });
  });

  it('backs off per item with jitter, opens the circuit, and after the outage delivers everything exactly once', async () => {
    enqueueRecords(5);
    sink.down = true;
    expect(await worker.deliverDue()).toEqual({ delivered: 0, failed: 3 });
    expect(worker.health()).toMatchObject({ circuit: 'open', lastError: 'central storage unreachable' });
    expect(sink.attempts).toBe(3);
    clock.advance(9_999);
    expect(await worker.deliverDue()).toEqual({ delivered: 0, failed: 0 });
    expect(sink.attempts).toBe(3);
    clock.advance(1);
    expect(await worker.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(worker.health().circuit).toBe('open');
    // The half-open trial (a never-tried item) failed and now backs off; the three earlier failures and one untried item are due.
    const due = store.due(sink.name, 10);
    expect(due).toHaveLength(4);
    expect(due.map((item) => item.attempts).sort()).toEqual([0, 1, 1, 1]);

    sink.down = false;
    clock.advance(10_000);
    let delivered = 0;
    for (let round = 0; round < 5 && store.backlog(sink.name).backlog > 0; round += 1) {
      delivered += (await worker.deliverDue()).delivered;
      clock.advance(8_000);
    }
    expect(delivered).toBe(5);
    expect(worker.health().circuit).toBe('closed');
    const envelopes = listTree(join(directory.path, 'central')).filter((file) => file.endsWith('.json'));
    expect(envelopes).toHaveLength(5);
    const metrics = await registry.getSingleMetricAsString('pgw_uplink_delivered_total');
    expect(metrics).toContain('pgw_uplink_delivered_total{sink="filesystem"} 5');
  });

  it('keeps retrying through a three-day outage at a capped pace, never gives up, then delivers each item once', async () => {
    enqueueRecords(20);
    sink.down = true;
    const day = 24 * 3_600_000;
    const step = 10 * 60_000;
    for (let elapsed = 0; elapsed < 3 * day; elapsed += step) {
      await worker.deliverDue();
      clock.advance(step);
    }
    // The open circuit lets one trial through per round instead of one attempt per item: no retry storm.
    expect(sink.attempts).toBeLessThanOrEqual((3 * day) / step + 3);
    expect(store.backlog(sink.name)).toMatchObject({ backlog: 20, dead: 0, delivered: 0 });
    sink.down = false;
    for (let round = 0; round < 5; round += 1) {
      await worker.deliverDue();
      clock.advance(10_000);
    }
    expect(store.backlog(sink.name)).toMatchObject({ backlog: 0, delivered: 20 });
    expect(listTree(join(directory.path, 'central')).filter((file) => file.endsWith('.json'))).toHaveLength(20);
  });

  it('a redelivery of an already delivered item leaves exactly one copy', async () => {
    enqueueRecords(1);
    const [item] = store.due(sink.name, 1);
    await central.deliver(item!, { gatewayId: 'gw-test', enqueuedAt: item!.createdAt });
    const path = central.envelopePath(item!);
    const before = readFileSync(path, 'utf8');
    expect(await worker.deliverDue()).toEqual({ delivered: 1, failed: 0 });
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(listTree(join(directory.path, 'central'))).toHaveLength(1);
  });

  it('parks an item whose spooled payload vanished as dead instead of dropping it', async () => {
    const segment = join(directory.path, 'gone.mp4');
    writeFileSync(segment, 'x');
    store.enqueue({ kind: 'segment', key: idempotencyKey('segment:gone', 'd'.repeat(64)), filePath: segment });
    writeFileSync(segment, '');
    const { rmSync } = await import('node:fs');
    rmSync(segment);
    expect(await worker.deliverDue()).toEqual({ delivered: 0, failed: 1 });
    expect(store.backlog(sink.name)).toMatchObject({ backlog: 0, dead: 1 });
    expect(existsSync(join(directory.path, 'central', 'segment'))).toBe(false);
  });

  it('discards half-written central files on start', async () => {
    const partial = join(directory.path, 'central', '.x.json.abc.partial');
    writeFileSync(partial, '{"half');
    await central.start();
    expect(existsSync(partial)).toBe(false);
  });
});
