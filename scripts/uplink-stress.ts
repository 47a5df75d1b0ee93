/**
 * Crash stress test of the uplink (H1, H2, P8). Repeatedly starts a child gateway that ingests artefacts and uploads
 * them to the filesystem sink and a PostgreSQL index at the same time, kills it with SIGKILL at a random moment
 * (also during start-up and recovery), restarts it, and finally lets it drain. Then every acknowledged artefact must
 * be in central storage exactly once, complete and with the right content hash, in both sinks.
 *
 * usage: npx tsx scripts/uplink-stress.ts [--iterations 200] [--max-kill-delay-ms 400]   (PG_URL as in the tests)
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { build } from 'esbuild';

export interface StressOptions {
  readonly iterations: number;
  /** Kill at a random moment up to this long after the child reports READY. */
  readonly maxKillDelayMs: number;
  /** Share of iterations killed at a random moment of start-up and recovery instead. */
  readonly startupKillShare: number;
  readonly pgUrl: string;
}

export interface StressReport {
  readonly iterations: number;
  readonly acknowledged: number;
  readonly committed: number;
  readonly filesystem: { readonly artefacts: number; readonly duplicates: number; readonly losses: number; readonly corrupt: number; readonly unexpected: number; readonly partialLeft: number };
  readonly postgres: { readonly rows: number; readonly duplicates: number; readonly losses: number; readonly unexpected: number; readonly redeliveriesAbsorbed: number };
  /** Outbox rows (all sinks) still undelivered when the final drain started. */
  readonly backlogBeforeDrain: number;
  readonly backlogAfterDrain: number;
  readonly seconds: number;
}

const CHILD_SOURCE = resolve(fileURLToPath(import.meta.url), '..', 'uplink-stress-child.ts');
/** Bundled once per run so that each restart costs a plain `node` start, not a TypeScript compile. */
const CHILD = resolve(fileURLToPath(import.meta.url), '..', '..', 'node_modules', '.cache', 'pgw-uplink-stress', 'child.mjs');

async function bundleChild(): Promise<void> {
  await build({
    entryPoints: [CHILD_SOURCE], outfile: CHILD, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    packages: 'external', logLevel: 'warning',
  });
}

interface ChildRun { acked: string[]; output: string; exitCode: number | null }

function runChild(args: string[], killAfter: ((ready: boolean) => number | null)): Promise<ChildRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    let timer: NodeJS.Timeout | undefined;
    const schedule = (ready: boolean) => {
      const delay = killAfter(ready);
      if (delay !== null) timer = setTimeout(() => child.kill('SIGKILL'), delay);
    };
    schedule(false);
    child.stdout.on('data', (chunk: Buffer) => {
      const before = output.includes('READY\n');
      output += chunk.toString();
      if (!before && output.includes('READY\n') && timer === undefined) schedule(true);
    });
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    child.on('error', reject);
    // 'close', not 'exit': only then has all of the child's output been read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) {
        reject(new Error(`stress child exited with ${code ?? signal}: ${output.slice(-2000)} ${errors.slice(-2000)}`));
        return;
      }
      // Only complete lines count: a line cut by the kill was never acknowledged to anyone.
      const acked = output.split('\n').slice(0, -1).filter((line) => line.startsWith('ACK ')).map((line) => line.slice(4));
      resolveRun({ acked, output, exitCode: code });
    });
  });
}

function centralEnvelopes(root: string): { envelopes: Map<string, number>; corrupt: number; partialLeft: number } {
  const envelopes = new Map<string, number>();
  let corrupt = 0;
  let partialLeft = 0;
  const walk = (directory: string): void => {
    if (!existsSync(directory)) return;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.partial')) partialLeft += 1;
      else if (entry.name.endsWith('.json')) {
        const envelope = JSON.parse(readFileSync(path, 'utf8')) as { key: string; file: { sha256: string; bytes: number } | null };
        envelopes.set(envelope.key, (envelopes.get(envelope.key) ?? 0) + 1);
        if (envelope.file) {
          const data = readFileSync(path.replace(/\.json$/, '.data'));
          const sha = createHash('sha256').update(data).digest('hex');
          if (sha !== envelope.file.sha256 || !envelope.key.endsWith(`@sha256:${sha}`) || data.length !== envelope.file.bytes) corrupt += 1;
        }
      }
    }
  };
  walk(root);
  return { envelopes, corrupt, partialLeft };
}

function killDelay(options: StressOptions): (ready: boolean) => number | null {
  const atStartup = Math.random() < options.startupKillShare;
  return (ready) => {
    if (atStartup) return ready ? null : Math.floor(Math.random() * 1200);
    return ready ? Math.floor(Math.random() * options.maxKillDelayMs) : null;
  };
}

async function verify(dataDir: string, schema: string, options: StressOptions, acknowledged: Set<string>, started: number, backlogBeforeDrain: number): Promise<StressReport> {
  const catalog = new Database(join(dataDir, 'catalog.db'), { readonly: true });
  const committedRows = catalog.prepare('SELECT segment_key, record_key FROM stress_artefacts').all() as { segment_key: string; record_key: string | null }[];
  const committed = new Set(committedRows.flatMap((row) => (row.record_key === null ? [row.segment_key] : [row.segment_key, row.record_key])));
  const backlogAfterDrain = catalog.prepare('SELECT COUNT(*) FROM outbox_items WHERE delivered_at IS NULL').pluck().get() as number;
  catalog.close();
  const central = centralEnvelopes(join(dataDir, 'central'));
  const client = new pg.Client({ connectionString: options.pgUrl });
  await client.connect();
  const rows = (await client.query<{ idempotency_key: string; redeliveries: number }>(`SELECT idempotency_key, redeliveries FROM ${schema}.artefacts`)).rows;
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
  const pgCounts = new Map<string, number>();
  for (const row of rows) pgCounts.set(row.idempotency_key, (pgCounts.get(row.idempotency_key) ?? 0) + 1);
  const count = (map: Map<string, number>, predicate: (key: string, n: number) => boolean) => [...map].filter(([key, n]) => predicate(key, n)).length;
  return {
    iterations: options.iterations,
    acknowledged: acknowledged.size,
    committed: committed.size,
    filesystem: {
      artefacts: central.envelopes.size,
      duplicates: count(central.envelopes, (_key, n) => n > 1),
      losses: [...acknowledged].filter((key) => central.envelopes.get(key) !== 1).length,
      corrupt: central.corrupt,
      unexpected: count(central.envelopes, (key) => !committed.has(key)),
      partialLeft: central.partialLeft,
    },
    postgres: {
      rows: rows.length,
      duplicates: count(pgCounts, (_key, n) => n > 1),
      losses: [...acknowledged].filter((key) => pgCounts.get(key) !== 1).length,
      unexpected: count(pgCounts, (key) => !committed.has(key)),
      redeliveriesAbsorbed: rows.reduce((sum, row) => sum + row.redeliveries, 0),
    },
    backlogBeforeDrain,
    backlogAfterDrain,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** Runs the kill/restart loop, then a drain, then verifies both sinks. Removes its data directory and schema. */
export async function runUplinkStress(options: StressOptions): Promise<StressReport> {
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'pgw-uplink-stress-'));
  const schema = `pgw_stress_${process.pid}_${randomBytes(4).toString('hex')}`;
  const acknowledged = new Set<string>();
  await bundleChild();
  try {
    for (let iteration = 0; iteration < options.iterations; iteration += 1) {
      const run = await runChild([dataDir, options.pgUrl, schema, 'ingest'], killDelay(options));
      for (const key of run.acked) acknowledged.add(key);
    }
    const drain = await runChild([dataDir, options.pgUrl, schema, 'drain'], () => null);
    if (!drain.output.includes('DRAINED\n')) throw new Error(`final drain did not finish: ${drain.output.slice(-500)}`);
    const backlogBeforeDrain = Number(/^BACKLOG (\d+)$/m.exec(drain.output)?.[1] ?? Number.NaN);
    return await verify(dataDir, schema, options, acknowledged, started, backlogBeforeDrain);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const isEntry = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  const { values } = parseArgs({ options: { iterations: { type: 'string', default: '200' }, 'max-kill-delay-ms': { type: 'string', default: '400' } } });
  const report = await runUplinkStress({
    iterations: Number(values.iterations), maxKillDelayMs: Number(values['max-kill-delay-ms']), startupKillShare: 0.15,
    pgUrl: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const failed = report.filesystem.losses + report.filesystem.duplicates + report.filesystem.corrupt + report.filesystem.unexpected + report.filesystem.partialLeft
    + report.postgres.losses + report.postgres.duplicates + report.postgres.unexpected + report.backlogAfterDrain;
  process.exitCode = failed === 0 ? 0 : 1;
}
