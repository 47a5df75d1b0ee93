import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/catalog/outbox-store.js';
import { systemClock } from '../../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import { createDeliveryMetrics, OutboxWorker } from '../../src/uplink/outbox-worker.js';
import { PostgresSink } from '../../src/uplink/postgres-sink.js';
import { temporaryDirectory, testCatalog } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

describe('PostgresSink against real PostgreSQL (H2)', () => {
  const schema = `pgw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  const target = new URL(PG_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  const directory = temporaryDirectory('pg-sink');

  beforeAll(async () => {
    await admin.connect();
    await proxy.up();
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await proxy.down();
    directory.remove();
  });

  it('applies its migrations once, upserts on the idempotency key and indexes payload files by hash', async () => {
    const sink = new PostgresSink({ url: PG_URL, schema, logger: silentLogger() });
    await sink.start();
    await sink.stop();
    await sink.start();
    const migrations = await admin.query<{ name: string }>(`SELECT name FROM ${schema}.pgw_migrations`);
    expect(migrations.rows.map((row) => row.name)).toEqual(['0001-artefacts']);

    const file = join(directory.path, 'seg.mp4');
    writeFileSync(file, Buffer.alloc(1234, 1));
    const segment = { kind: 'segment' as const, key: idempotencyKey('segment:cam9:1', 'e'.repeat(64)), group: 'cam9', filePath: file, contentType: 'video/mp4', expiresAt: Date.UTC(2026, 5, 1) };
    const sidecar = { kind: 'sidecar' as const, key: idempotencyKey('sidecar:cam9:1', jsonSha256({ faces: 3 })), group: 'cam9', body: { faces: 3, plates: 1 } };
    for (const item of [segment, sidecar, segment]) await sink.deliver(item, { gatewayId: 'gw-pg', enqueuedAt: Date.UTC(2026, 0, 1) });
    const rows = await admin.query(`SELECT idempotency_key, kind, grp, gateway_id, body, file_bytes, file_sha256, redeliveries, expires_at FROM ${schema}.artefacts ORDER BY kind`);
    expect(rows.rows).toHaveLength(2);
    expect(rows.rows[0]).toMatchObject({ kind: 'segment', grp: 'cam9', gateway_id: 'gw-pg', file_bytes: '1234', redeliveries: 1, expires_at: new Date(Date.UTC(2026, 5, 1)) });
    expect(rows.rows[0].file_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.rows[1]).toMatchObject({ kind: 'sidecar', body: { faces: 3, plates: 1 }, redeliveries: 0 });
    await sink.stop();
  });

  it('a central outage then recovery delivers every item exactly once', async () => {
    const db = testCatalog(directory.path);
    const sink = new PostgresSink({ url: viaProxy(PG_URL, proxy.port), schema, logger: silentLogger(), name: 'pg-proxied', connectionTimeoutMs: 1000 });
    const store = new OutboxStore(db, [sink], systemClock);
    const worker = new OutboxWorker({
      sink, store, clock: systemClock, logger: silentLogger(), retry: { baseMs: 20, maxMs: 100 }, circuit: { failureThreshold: 3, openMs: 200 },
      batchSize: 100, gatewayId: 'gw-pg', metrics: createDeliveryMetrics(new Registry()),
    });
    await sink.start();
    const keys: string[] = [];
    const enqueue = (from: number, to: number) => {
      for (let id = from; id < to; id += 1) {
        const key = idempotencyKey(`agg:outage:${id}`, jsonSha256({ id }));
        keys.push(key);
        store.enqueue({ kind: 'sensor_aggregate', key, group: 'zone-7', body: { id } });
      }
    };
    enqueue(0, 20);
    expect((await worker.deliverDue()).delivered).toBe(20);

    await proxy.down();
    enqueue(20, 60);
    const during = await worker.deliverDue();
    expect(during.delivered).toBe(0);
    expect(worker.health().circuit).toBe('open');
    expect(store.backlog(sink.name).backlog).toBe(40);

    await proxy.up();
    const deadline = Date.now() + 15_000;
    while (store.backlog(sink.name).backlog > 0 && Date.now() < deadline) {
      await worker.deliverDue();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(store.backlog(sink.name).backlog).toBe(0);
    const rows = await admin.query<{ idempotency_key: string }>(`SELECT idempotency_key FROM ${schema}.artefacts WHERE kind = 'sensor_aggregate' AND grp = 'zone-7'`);
    expect(rows.rows.map((row) => row.idempotency_key).sort()).toEqual([...keys].sort());
    expect(worker.health().circuit).toBe('closed');
    await sink.stop();
    db.close();
  });
});
