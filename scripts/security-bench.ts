/**
 * Measures the vault and audit log on this machine: `npx tsx scripts/security-bench.ts`.
 * Prints JSON: vault ingest and decrypt throughput for 5 MiB originals (about one 10 s 1080p segment),
 * audit appends per second, and verification speed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecurityStack } from '../src/access/security-stack.js';
import { openCatalog } from '../src/catalog/database.js';
import { configSchema } from '../src/config/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';

const dataDir = mkdtempSync(join(tmpdir(), 'pgw-bench-'));
const db = openCatalog(join(dataDir, 'catalog.db'));
const stack = createSecurityStack({ config: configSchema.parse({ dataDir }), db, logger: silentLogger(), clock: systemClock });
await stack.start();
const segmentBytes = 5 * 1024 * 1024;
const segments = 20;
const data = randomBytes(segmentBytes);
const ids: string[] = [];
let started = performance.now();
for (let n = 0; n < segments; n++) ids.push((await stack.vault.store({ segmentId: `s${n}`, cameraId: 'cam', startMs: n * 10_000, endMs: n * 10_000 + 9_999, container: 'mp4', data })).originalId);
const storeMs = (performance.now() - started) / segments;
started = performance.now();
for (const id of ids) await stack.vault.open(id, { actor: 'bench' });
const openMs = (performance.now() - started) / segments;
const appends = 500;
started = performance.now();
for (let n = 0; n < appends; n++) stack.audit.append({ actor: 'bench', action: 'bench.append', object: `o:${n}`, outcome: 'success', details: { n } });
const appendMs = (performance.now() - started) / appends;
started = performance.now();
const verification = stack.audit.verify();
const verifyMs = performance.now() - started;
stack.stop();
db.close();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({
  vaultStoreMsPer5MiB: Number(storeMs.toFixed(1)),
  vaultStoreMiBPerSec: Number((5 / (storeMs / 1000)).toFixed(0)),
  vaultOpenMsPer5MiB: Number(openMs.toFixed(1)),
  auditAppendMs: Number(appendMs.toFixed(2)),
  auditAppendsPerSec: Number((1000 / appendMs).toFixed(0)),
  auditVerifyRecords: verification.records,
  auditVerifyMs: Number(verifyMs.toFixed(1)),
})}\n`);
