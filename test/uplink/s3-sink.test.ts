import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/catalog/outbox-store.js';
import { systemClock } from '../../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import { createDeliveryMetrics, OutboxWorker } from '../../src/uplink/outbox-worker.js';
import { S3Sink } from '../../src/uplink/s3-sink.js';
import { temporaryDirectory, testCatalog } from './helpers.js';

const BUCKET = 'central';
const MIB = 1024 * 1024;

describe('S3Sink against an S3-compatible server (s3rver)', () => {
  const directory = temporaryDirectory('s3-sink');
  let server: S3rver;
  let port = 0;
  let reader: S3Client;
  const created: { key: string; eventName: string }[] = [];

  const startServer = async () => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: join(directory.path, 's3'), configureBuckets: [{ name: BUCKET, configs: [] }] });
    // s3rver is a Koa app (an EventEmitter) that emits S3 event notifications; its typings omit that.
    (server as unknown as EventEmitter).on('event', (event: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => {
      for (const record of event.Records) created.push({ key: record.s3.object.key, eventName: record.eventName });
    });
    const address = await server.run();
    port = address.port;
  };
  const clientConfig = () => ({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const sinkFor = (prefix: string) => new S3Sink({
    bucket: BUCKET, prefix, multipartThresholdBytes: 5 * MIB, partSizeBytes: 5 * MIB, logger: silentLogger(), client: clientConfig(),
  });

  beforeAll(async () => {
    await startServer();
    reader = new S3Client({ ...clientConfig(), requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  });
  afterAll(async () => {
    reader.destroy();
    await server.close();
    directory.remove();
  });

  it('uploads small and large (multipart) segments with provenance and expiry metadata, once per key', async () => {
    const sink = sinkFor('site-a/');
    await sink.start();
    const small = join(directory.path, 'small.mp4');
    const large = join(directory.path, 'large.mp4');
    writeFileSync(small, Buffer.alloc(300_000, 3));
    const largeBytes = Buffer.alloc(11 * MIB + 17);
    for (let index = 0; index < largeBytes.length; index += 4096) largeBytes[index] = index % 251;
    writeFileSync(large, largeBytes);
    const expiresAt = Date.UTC(2026, 2, 1);
    const items = [
      { kind: 'segment' as const, key: idempotencyKey('segment:cam1:small', 'a'.repeat(64)), group: 'cam1', filePath: small, contentType: 'video/mp4', expiresAt },
      { kind: 'segment' as const, key: idempotencyKey('segment:cam1:large', 'b'.repeat(64)), group: 'cam1', filePath: large, contentType: 'video/mp4', expiresAt },
      { kind: 'audit_checkpoint' as const, key: idempotencyKey('checkpoint:7', jsonSha256({ seq: 7 })), body: { seq: 7, head: 'abc' } },
    ];
    for (const item of [...items, ...items]) await sink.deliver(item, { gatewayId: 'gw-s3', enqueuedAt: Date.UTC(2026, 0, 2) });

    const listed = await reader.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'site-a/' }));
    expect(listed.Contents?.map((object) => object.Key).sort()).toEqual([
      sink.objectKey(items[2]!, '.json'), sink.objectKey(items[1]!, '.data'), sink.objectKey(items[0]!, '.data'),
    ].sort());
    const head = await reader.send(new HeadObjectCommand({ Bucket: BUCKET, Key: sink.objectKey(items[1]!, '.data') }));
    expect(head.ContentLength).toBe(largeBytes.length);
    expect(head.Metadata).toMatchObject({
      'idempotency-key': encodeURIComponent(items[1]!.key), kind: 'segment', group: 'cam1', 'gateway-id': 'gw-s3',
      'expires-at': new Date(expiresAt).toISOString(), 'enqueued-at': new Date(Date.UTC(2026, 0, 2)).toISOString(),
    });
    // One creation per object although every item was delivered twice; the large one was a completed multipart upload.
    expect(created.filter((event) => event.key.startsWith('site-a/')).map((event) => [event.key, event.eventName]).sort()).toEqual([
      [sink.objectKey(items[2]!, '.json'), 'ObjectCreated:Put'],
      [sink.objectKey(items[1]!, '.data'), 'ObjectCreated:Post'],
      [sink.objectKey(items[0]!, '.data'), 'ObjectCreated:Put'],
    ].sort());
    const body = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: sink.objectKey(items[1]!, '.data') }));
    const downloaded = Buffer.from(await body.Body!.transformToByteArray());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(largeBytes).digest('hex'));
    const checkpoint = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: sink.objectKey(items[2]!, '.json') }));
    expect(JSON.parse(await checkpoint.Body!.transformToString())).toEqual({ seq: 7, head: 'abc' });
    await sink.stop();
  });

  it('an object-store outage then recovery delivers everything exactly once', async () => {
    const db = testCatalog(directory.path);
    const sink = sinkFor('site-b/');
    const store = new OutboxStore(db, [sink], systemClock);
    const worker = new OutboxWorker({
      sink, store, clock: systemClock, logger: silentLogger(), retry: { baseMs: 20, maxMs: 100 }, circuit: { failureThreshold: 2, openMs: 100 },
      batchSize: 100, gatewayId: 'gw-s3', metrics: createDeliveryMetrics(new Registry()),
    });
    await sink.start();
    const keys: string[] = [];
    for (let id = 0; id < 30; id += 1) {
      const key = idempotencyKey(`record:${id}`, jsonSha256({ id }));
      keys.push(key);
      store.enqueue({ kind: 'sensor_record', key, group: 's1', body: { id } });
    }
    await server.close();
    expect((await worker.deliverDue()).delivered).toBe(0);
    expect(worker.health().circuit).toBe('open');
    await startServer();
    const deadline = Date.now() + 15_000;
    while (store.backlog(sink.name).backlog > 0 && Date.now() < deadline) {
      await worker.deliverDue();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(store.backlog(sink.name).backlog).toBe(0);
    const listed = await reader.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'site-b/' }));
    expect(listed.Contents?.map((object) => object.Key).sort()).toEqual(keys.map((key) => sink.objectKey({ kind: 'sensor_record', group: 's1', key }, '.json')).sort());
    await sink.stop();
    db.close();
  });
});
