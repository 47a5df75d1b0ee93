/**
 * Child process of the uplink crash stress test: a gateway that ingests artefacts and uploads them at the same
 * time, until its parent kills it with SIGKILL. It prints `READY` once started, `ACK <key>` after each artefact's
 * transaction (spool file fsynced + artefact row + outbox rows) has committed, and in drain mode `DRAINED`.
 *
 * usage: tsx scripts/uplink-stress-child.ts <dataDir> <pgUrl> <pgSchema> ingest|drain
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { openCatalog } from '../src/catalog/database.js';
import { configSchema } from '../src/config/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../src/shared/idempotency-key.js';
import { silentLogger } from '../src/shared/logger.js';
import { createUplink, spoolDirectory } from '../src/uplink/build-uplink.js';
import { writeFileDurably } from '../src/shared/durable-file.js';
import { FilesystemSink } from '../src/uplink/filesystem-sink.js';
import { PostgresSink } from '../src/uplink/postgres-sink.js';

const [dataDir = '', pgUrl = '', pgSchema = '', mode = 'ingest'] = process.argv.slice(2);

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

const config = configSchema.parse({
  dataDir,
  uplink: { pollIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 200, batchSize: 20, spool: { quotaBytes: 1024 ** 3, minFreeBytes: 0, localRetentionMs: 3_600_000 } },
});
const logger = silentLogger();
const catalog = openCatalog(join(dataDir, 'catalog.db'));
catalog.exec('CREATE TABLE IF NOT EXISTS stress_artefacts (seq INTEGER PRIMARY KEY, segment_key TEXT NOT NULL, record_key TEXT)');
const sinks = [new FilesystemSink(join(dataDir, 'central'), logger), new PostgresSink({ url: pgUrl, schema: pgSchema, logger })];
const uplink = createUplink({
  config, catalog, clock: systemClock, logger, registry: new Registry(),
  audit: { append: () => undefined }, holds: { isHeld: () => false },
}, sinks);

await uplink.start();
say('READY');

if (mode === 'drain') {
  say(`BACKLOG ${uplink.status().sinks.reduce((sum, sink) => sum + sink.backlog, 0)}`);
  const { drained, status } = await uplink.drain(600_000);
  await uplink.stop();
  catalog.close();
  say(drained ? 'DRAINED' : `NOT-DRAINED ${JSON.stringify(status.sinks)}`);
  process.exit(drained ? 0 : 1);
}

const record = catalog.prepare('INSERT INTO stress_artefacts (seq, segment_key, record_key) VALUES (?, ?, ?)');
let seq = ((catalog.prepare('SELECT MAX(seq) FROM stress_artefacts').pluck().get() as number | null) ?? 0) + 1;
const spoolDir = join(spoolDirectory(config), 'stress');
mkdirSync(spoolDir, { recursive: true });

/** One artefact: a spooled "segment" file and, for every third one, a sensor aggregate in the same transaction. */
function ingestOne(): void {
  const data = randomBytes(1024 + Math.floor(Math.random() * 64 * 1024));
  const path = join(spoolDir, `${seq}.bin`);
  writeFileDurably(path, data);
  const segmentKey = idempotencyKey(`segment:stress:${seq}`, createHash('sha256').update(data).digest('hex'));
  const body = { seq, vehicles: Math.floor(Math.random() * 100) };
  const recordKey = seq % 3 === 0 ? idempotencyKey(`aggregate:stress:${seq}`, jsonSha256(body)) : null;
  const items = [
    { kind: 'segment' as const, key: segmentKey, group: 'stress', filePath: path, contentType: 'application/octet-stream' },
    ...(recordKey === null ? [] : [{ kind: 'sensor_aggregate' as const, key: recordKey, group: 'stress', body }]),
  ];
  uplink.enqueueAtomically(() => record.run(seq, segmentKey, recordKey), items);
  say(`ACK ${segmentKey}`);
  if (recordKey !== null) say(`ACK ${recordKey}`);
  seq += 1;
}

for (;;) {
  ingestOne();
  // Yield so that the delivery loops upload while ingestion goes on: kills land in both.
  await new Promise((resolve) => setImmediate(resolve));
}
