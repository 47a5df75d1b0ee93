import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/database.js';
import { HoldStore } from '../../src/retention/hold-store.js';
import type { SweepStep } from '../../src/retention/sweeper.js';
import { openAudit, sweepDataDir, type AuditPlacement } from './fixtures/sweep-gateway.js';
import { tempDataDir, writeSpoolSegment } from './helpers.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 8);
const NOW = T0 + 721 * H;
const CHILD = join(import.meta.dirname, 'fixtures', 'sweep-child.ts');

interface Fixture {
  dir: string;
  /** Audit object → file (and catalog row for exports) of every item the sweep must delete. */
  expired: Map<string, { file: string; row?: string }>;
  kept: string[];
}

/** 3 expired segments (6 items), 2 expired exports with files, 1 fresh segment, 1 held segment. */
function buildFixture(): Fixture {
  const dir = tempDataDir();
  const spool = join(dir, 'spool');
  const expired = new Map<string, { file: string; row?: string }>();
  for (const camera of ['cam-a', 'cam-b', 'cam-c']) {
    const { segment, sidecar } = writeSpoolSegment(spool, camera, 'seg', T0);
    expired.set(`redacted:${camera}/2026-03-01/seg.mp4`, { file: segment });
    expired.set(`metadata:${camera}/2026-03-01/seg.json`, { file: sidecar });
  }
  const fresh = writeSpoolSegment(spool, 'cam-a', 'fresh', T0 + 700 * H);
  const held = writeSpoolSegment(spool, 'cam-h', 'held', T0);
  const db = openCatalog(join(dir, 'catalog.db'));
  db.exec('CREATE TABLE test_exports (id TEXT PRIMARY KEY, camera_id TEXT, recorded_at INTEGER NOT NULL, path TEXT)');
  mkdirSync(join(dir, 'exports'));
  for (const id of ['e1', 'e2']) {
    const file = join(dir, 'exports', `${id}.zip`);
    writeFileSync(file, 'package');
    db.prepare('INSERT INTO test_exports VALUES (?, ?, ?, ?)').run(id, 'cam-a', T0, file);
    expired.set(`export:${id}`, { file, row: id });
  }
  new HoldStore(db).insert({ id: 'hold_fixture', cameraIds: ['cam-h'], fromMs: T0 - H, toMs: T0 + H, caseNumber: 'C-1', reason: 'inquiry', placedBy: 'approver-1', placedAt: T0 });
  db.close();
  return { dir, expired, kept: [fresh.segment, fresh.sidecar, held.segment, held.sidecar] };
}

function runCrashingChild(dir: string, placement: AuditPlacement, crash: [SweepStep, number]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(NOW), placement, crash[0], String(crash[1])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function rowExists(dir: string, id: string): boolean {
  const db = openCatalog(join(dir, 'catalog.db'));
  try {
    return db.prepare('SELECT COUNT(*) FROM test_exports WHERE id = ?').pluck().get(id) === 1;
  } finally {
    db.close();
  }
}

function deletionRecords(dir: string, placement: AuditPlacement): string[] {
  const db = openCatalog(join(dir, 'catalog.db'));
  const audit = openAudit(dir, placement, db);
  try {
    return audit.events('retention.delete').map((event) => event.object).sort();
  } finally {
    audit.close();
    db.close();
  }
}

/** Right after the kill: every item is fully present or fully gone, and nothing is gone without its audit record. */
function expectAtomicItems(fixture: Fixture, placement: AuditPlacement): void {
  const audited = new Set(deletionRecords(fixture.dir, placement));
  for (const [object, { file, row }] of fixture.expired) {
    const present = existsSync(file);
    if (row !== undefined) expect(rowExists(fixture.dir, row), `${object}: catalog row and file agree`).toBe(present);
    if (!present) expect(audited.has(object), `${object} erased without an audit record`).toBe(true);
  }
  for (const file of fixture.kept) expect(existsSync(file)).toBe(true);
}

async function expectConverged(fixture: Fixture, placement: AuditPlacement): Promise<void> {
  const summary = await sweepDataDir(fixture.dir, NOW, placement);
  expect(summary).toMatchObject({ held: 2, failed: 0 });
  for (const [object, { file, row }] of fixture.expired) {
    expect(existsSync(file), object).toBe(false);
    if (row !== undefined) expect(rowExists(fixture.dir, row)).toBe(false);
  }
  for (const file of fixture.kept) expect(existsSync(file)).toBe(true);
  expect(deletionRecords(fixture.dir, placement)).toEqual([...fixture.expired.keys()].sort());
}

const CRASH_POINTS: [SweepStep, number][] = [
  ['decided', 1],
  ['audit-appended', 1],
  ['audited', 2],
  ['item-erased', 3],
  ['erased', 4],
  ['item-erased', 8],
  ['summarizing', 1],
  ['summary-appended', 1],
];

/** The gateway's own log lives in the catalog: audit record and journal entry commit together. */
const CATALOG_AUDIT_POINTS: [SweepStep, number][] = [
  ['audit-appended', 1],
  ['item-erased', 2],
  ['summary-appended', 1],
];

async function crashThenConverge(placement: AuditPlacement, crashes: [SweepStep, number][]): Promise<void> {
  const fixture = buildFixture();
  for (const crash of crashes) {
    const crashed = await runCrashingChild(fixture.dir, placement, crash);
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    expectAtomicItems(fixture, placement);
  }
  await expectConverged(fixture, placement);
}

describe.concurrent('crash-safe sweep (C3): kill -9 at every step', () => {
  it.each(CRASH_POINTS)('audit log with idempotency keys; killed after %s #%i: items stay atomic, a rerun converges with one audit record each', async (step, count) => {
    await crashThenConverge('separate', [[step, count]]);
  });

  it.each(CATALOG_AUDIT_POINTS)('audit log in the catalog transaction; killed after %s #%i: same guarantees without keys', async (step, count) => {
    await crashThenConverge('catalog', [[step, count]]);
  });

  it('survives a second kill during the recovery sweep', async () => {
    await crashThenConverge('separate', [['audit-appended', 2], ['audit-appended', 1]]);
  });
});
