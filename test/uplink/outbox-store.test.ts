import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogDatabase } from '../../src/catalog/database.js';
import { OutboxStore, type OutboxRoute } from '../../src/catalog/outbox-store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { temporaryDirectory, testCatalog } from './helpers.js';

const routes: OutboxRoute[] = [
  { name: 'filesystem', accepts: () => true, ordered: false },
  { name: 'mqtt', accepts: (kind) => kind !== 'segment', ordered: true },
];

describe('OutboxStore (durable outbox in the catalog)', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  let db: CatalogDatabase;
  let clock: ManualClock;
  let store: OutboxStore;

  beforeEach(() => {
    directory = temporaryDirectory('outbox-store');
    db = testCatalog(directory.path);
    db.exec('CREATE TABLE artefacts (id TEXT PRIMARY KEY)');
    clock = new ManualClock();
    store = new OutboxStore(db, routes, clock);
  });
  afterEach(() => {
    db.close();
    directory.remove();
  });

  const record = (id: number) => ({ kind: 'sensor_record' as const, key: idempotencyKey(`record:${id}`, jsonSha256({ id })), group: 'sensor-1', body: { id } });

  it('enqueues inside the caller\'s transaction: committed together, rolled back together', () => {
    const insert = db.prepare('INSERT INTO artefacts (id) VALUES (?)');
    db.transaction(() => {
      insert.run('a1');
      store.enqueue(record(1));
    })();
    expect(() => db.transaction(() => {
      insert.run('a2');
      store.enqueue(record(2));
      throw new Error('producer failed after enqueue');
    })()).toThrow('producer failed');
    expect(db.prepare('SELECT id FROM artefacts').pluck().all()).toEqual(['a1']);
    expect(store.backlog('filesystem').backlog).toBe(1);
    expect(store.due('filesystem', 10).map((item) => item.body)).toEqual([{ id: 1 }]);
  });

  it('enqueueAtomically records the artefact and its items in one transaction', () => {
    expect(() => store.enqueueAtomically(() => db.prepare('INSERT INTO artefacts (id) VALUES (?)').run('dup'), [record(3), { ...record(4), kind: 'bogus' as never, filePath: join(directory.path, 'missing') }]))
      .toThrow();
    expect(db.prepare('SELECT COUNT(*) FROM artefacts').pluck().get()).toBe(0);
    expect(store.backlog('filesystem').backlog).toBe(0);
  });

  it('fans an item out to every sink that accepts its kind, once per key', () => {
    const segment = join(directory.path, 'seg.mp4');
    writeFileSync(segment, 'x'.repeat(100));
    store.enqueue({ kind: 'segment', key: idempotencyKey('segment:1', 'b'.repeat(64)), group: 'cam1', filePath: segment });
    store.enqueue(record(5));
    store.enqueue(record(5));
    expect(store.backlog('filesystem').backlog).toBe(2);
    expect(store.backlog('mqtt').backlog).toBe(1);
  });

  it('an ordered sink only sees the oldest pending item of each group', () => {
    for (let id = 1; id <= 3; id += 1) store.enqueue(record(id));
    store.enqueue({ ...record(10), group: 'sensor-2' });
    expect(store.due('mqtt', 10).map((item) => item.body)).toEqual([{ id: 1 }, { id: 10 }]);
    expect(store.due('filesystem', 10)).toHaveLength(4);
    const [first] = store.due('mqtt', 1);
    store.markFailed(first!.id, 'down', clock.now() + 5000);
    expect(store.due('mqtt', 10).map((item) => item.body)).toEqual([{ id: 10 }]);
    clock.advance(5000);
    store.markDelivered(first!.id);
    expect(store.due('mqtt', 10).map((item) => item.body)).toEqual([{ id: 2 }, { id: 10 }]);
  });

  it('keeps backlog, oldest age and the last error per sink', () => {
    store.enqueue(record(1));
    clock.advance(1000);
    store.enqueue(record(2));
    const [item] = store.due('filesystem', 1);
    store.markFailed(item!.id, 'connection refused', clock.now() + 1000);
    const backlog = store.backlog('filesystem');
    expect(backlog).toMatchObject({ backlog: 2, delivered: 0, dead: 0, lastError: 'connection refused', oldestCreatedAt: clock.now() - 1000 });
    store.markDead(item!.id, 'payload missing');
    expect(store.backlog('filesystem')).toMatchObject({ backlog: 1, dead: 1 });
  });
});
