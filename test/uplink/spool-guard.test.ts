import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogDatabase } from '../../src/catalog/database.js';
import { OutboxStore } from '../../src/catalog/outbox-store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { idempotencyKey } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { SpooledArtefact } from '../../src/shared/ports.js';
import { writeFileDurably } from '../../src/shared/durable-file.js';
import { FilesystemSink } from '../../src/uplink/filesystem-sink.js';
import { createDeliveryMetrics, OutboxWorker } from '../../src/uplink/outbox-worker.js';
import { SpoolGuard } from '../../src/uplink/spool-guard.js';
import { RecordingAudit, SwitchableSink, temporaryDirectory, testCatalog } from './helpers.js';

const HOUR = 3_600_000;

describe('SpoolGuard: disk pressure with held data (H3)', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  let db: CatalogDatabase;
  let clock: ManualClock;
  let store: OutboxStore;
  let sink: SwitchableSink;
  let worker: OutboxWorker;
  let audit: RecordingAudit;
  let guard: SpoolGuard;
  let registry: Registry;
  const held = new Set<string>();
  let spool: string;

  beforeEach(async () => {
    directory = temporaryDirectory('spool');
    spool = join(directory.path, 'spool');
    db = testCatalog(directory.path);
    clock = new ManualClock();
    sink = new SwitchableSink(new FilesystemSink(join(directory.path, 'central'), silentLogger()));
    store = new OutboxStore(db, [sink], clock);
    worker = new OutboxWorker({
      sink, store, clock, logger: silentLogger(), retry: { baseMs: 1000, maxMs: 1000 }, circuit: { failureThreshold: 100, openMs: 1000 },
      batchSize: 100, gatewayId: 'gw', metrics: createDeliveryMetrics(new Registry()), random: () => 0,
    });
    audit = new RecordingAudit();
    registry = new Registry();
    held.clear();
    guard = new SpoolGuard({
      root: spool, policy: { quotaBytes: 10_000, highWaterRatio: 0.9, lowWaterRatio: 0.5, minFreeBytes: 0 }, localRetentionMs: HOUR,
      store, holds: { isHeld: (item: SpooledArtefact) => held.has(item.key) }, audit, clock, logger: silentLogger(), registry,
    });
    guard.recover();
    await sink.start();
  });
  afterEach(() => {
    db.close();
    directory.remove();
  });

  /** A producer's segment: spooled durably, then recorded and enqueued in one transaction. */
  const produce = (name: string, bytes: number): { key: string; path: string } => {
    mkdirSync(join(spool, 'cam1'), { recursive: true });
    const path = join(spool, 'cam1', `${name}.mp4`);
    writeFileDurably(path, Buffer.alloc(bytes, 1));
    const key = idempotencyKey(`segment:cam1:${name}`, name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64));
    store.enqueueAtomically(() => undefined, [{ kind: 'segment', key, group: 'cam1', filePath: path }]);
    return { key, path };
  };

  it('refuses new originals above the high-water mark, evicts only delivered, expired, unheld files, and recovers by itself', async () => {
    const expired = produce('a1', 2000);
    const heldOne = produce('b1', 2000);
    await worker.deliverDue();
    sink.down = true;
    const undelivered = produce('c1', 3000);
    held.add(heldOne.key);
    expect(guard.check().underPressure).toBe(false);
    expect(guard.acceptingOriginals()).toBe(true);

    clock.advance(2 * HOUR);
    const latest = produce('d1', 2500);
    await worker.deliverDue();
    // a1 was delivered and expired: evicted. b1 is held, c1 and d1 are undelivered: kept.
    expect(guard.check()).toMatchObject({ underPressure: false, usedBytes: 7500, highWaterBytes: 9000, evictedFiles: 1, heldFiles: 1 });
    expect(existsSync(expired.path)).toBe(false);
    expect([heldOne.path, undelivered.path, latest.path].every((path) => existsSync(path))).toBe(true);
    const overflow = produce('e1', 2000);
    expect(guard.check()).toMatchObject({ underPressure: true, reason: 'quota', usedBytes: 9500 });
    expect(guard.acceptingOriginals()).toBe(false);
    expect(audit.events).toEqual([expect.objectContaining({ action: 'uplink.spool_pressure', outcome: 'failure', actor: 'system:uplink' })]);
    expect(await registry.getSingleMetricAsString('pgw_uplink_spool_pressure')).toContain('pgw_uplink_spool_pressure 1');

    // Central storage comes back. c1 is past retention and goes; d1 and e1 are still within it, so the spool
    // stays above the low-water mark and the alarm holds (hysteresis) until their retention passes too.
    sink.down = false;
    clock.advance(HOUR / 2);
    await worker.deliverDue();
    expect(guard.check()).toMatchObject({ underPressure: true, usedBytes: 6500 });
    expect(existsSync(undelivered.path)).toBe(false);
    clock.advance(HOUR);
    expect(guard.check()).toMatchObject({ underPressure: false, usedBytes: 2000, heldFiles: 1, evictedFiles: 4 });
    expect(existsSync(heldOne.path)).toBe(true);
    expect(existsSync(overflow.path)).toBe(false);
    expect(guard.acceptingOriginals()).toBe(true);
    expect(audit.events.map((event) => event.action)).toEqual(['uplink.spool_pressure', 'uplink.spool_pressure_cleared']);
    expect(await registry.getSingleMetricAsString('pgw_uplink_spool_evicted_total')).toContain('pgw_uplink_spool_evicted_total 4');
  });

  it('keeps the alarm on metric and status when the audit log is unavailable', () => {
    const failing = new SpoolGuard({
      root: spool, policy: { quotaBytes: 1024, highWaterRatio: 0.5, lowWaterRatio: 0.4, minFreeBytes: 0 }, localRetentionMs: HOUR,
      store, holds: { isHeld: () => false }, audit: { append: () => { throw new Error('audit disk full'); } }, clock, logger: silentLogger(), registry: new Registry(),
    });
    produce('f1', 1000);
    expect(failing.check().underPressure).toBe(true);
    expect(failing.acceptingOriginals()).toBe(false);
  });

  it('on restart discards half-written spool files, keeps acknowledged ones and leaves unreferenced ones to retention', () => {
    const acknowledged = produce('g1', 100);
    mkdirSync(join(spool, 'cam2'), { recursive: true });
    const partial = join(spool, 'cam2', '.x.mp4.1234.partial');
    const unacknowledged = join(spool, 'cam2', 'never-committed.mp4');
    writeFileSync(partial, 'half');
    writeFileSync(unacknowledged, 'complete but never recorded');
    expect(guard.recover()).toEqual({ partial: 1, unreferenced: 1 });
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(unacknowledged)).toBe(true);
    expect(existsSync(acknowledged.path)).toBe(true);
  });

  it('keeps a spooled file no sink takes through a restart, and evicts it after local retention', () => {
    const eventsOnly = new OutboxStore(db, [{ name: 'mqtt', accepts: (kind) => kind !== 'segment', ordered: true }], clock);
    mkdirSync(join(spool, 'cam3'), { recursive: true });
    const path = join(spool, 'cam3', 'local-only.mp4');
    writeFileDurably(path, Buffer.alloc(500, 2));
    eventsOnly.enqueueAtomically(() => undefined, [{ kind: 'segment', key: idempotencyKey('segment:cam3:1', '1'.repeat(64)), group: 'cam3', filePath: path }]);
    expect(eventsOnly.backlog('mqtt').backlog).toBe(0);
    expect(guard.recover()).toEqual({ partial: 0, unreferenced: 0 });
    expect(guard.check().usedBytes).toBe(500);
    clock.advance(HOUR);
    expect(guard.check()).toMatchObject({ usedBytes: 0, evictedFiles: 1 });
    expect(existsSync(path)).toBe(false);
    clock.advance(HOUR);
    guard.check();
    expect(db.prepare('SELECT COUNT(*) FROM outbox_spool_files').pluck().get()).toBe(0);
  });
});
