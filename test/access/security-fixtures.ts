import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createSecurityStack, type SecurityStack } from '../../src/access/security-stack.js';
import { issueLocalToken } from '../../src/api/local-token.js';
import { composeApi, type Components } from '../../src/app.js';
import type { RetentionModule } from '../../src/retention/retention-module.js';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import type { Role } from '../../src/shared/types.js';

export function tempDir(prefix = 'pgw-sec-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function testConfig(dataDir: string, overrides: Omit<ConfigInput, 'dataDir'> = {}): Config {
  return configSchema.parse({ ...overrides, dataDir });
}

/** A fragmented MP4 clip from an ffmpeg test source (H.264, no audio), generated in memory. */
export function makeClip(seconds = 1, pattern = 'testsrc2'): Buffer {
  return execFileSync('/usr/bin/ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${pattern}=size=160x120:rate=10`, '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', 'pipe:1',
  ]);
}

export interface TestGateway {
  dataDir: string;
  clock: ManualClock;
  db: CatalogDatabase;
  security: SecurityStack;
  api: FastifyInstance;
  retention: RetentionModule;
  uploads: Components['uploads'];
  config: Config;
  token(subject: string, roles: Role[], options?: { ttlSec?: number; amr?: string[] }): Promise<string>;
  close(): Promise<void>;
}

/** The real composition (catalog, keys, audit, vault, access, JWT auth, API) on a temp data dir. */
export async function openTestGateway(overrides: Omit<ConfigInput, 'dataDir'> = {}, dataDir = tempDir(), clock = new ManualClock(Date.UTC(2026, 2, 1, 12))): Promise<TestGateway> {
  const config = testConfig(dataDir, overrides);
  const db = openCatalog(join(dataDir, 'catalog.db'));
  const { security, api, retention, uploads } = await composeApi(config, silentLogger(), clock, db);
  return {
    dataDir,
    clock,
    db,
    security,
    api,
    retention,
    uploads,
    config,
    token: (subject, roles, options = {}) =>
      issueLocalToken(security.tokenKey.privateKey, security.tokenKey.keyId, {
        subject,
        roles,
        ttlSec: options.ttlSec ?? 3600,
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        nowSec: Math.floor(clock.now() / 1000),
        ...(options.amr ? { authMethods: options.amr } : {}),
      }),
    async close() {
      await api.close();
      security.stop();
      db.close();
    },
  };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A CLI command's stdout and stderr, collected into one string. */
export function captureIo() {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } });
  return { io: { stdout: sink, stderr: sink }, text: () => out };
}

export interface TestStack {
  db: CatalogDatabase;
  security: SecurityStack;
  config: Config;
  close(): void;
}

/** Catalog, keys, audit log and vault without the API (also used by crash-test child processes). */
export async function openTestStack(dataDir: string, clock = new ManualClock(Date.UTC(2026, 2, 1, 12)), overrides: Omit<ConfigInput, 'dataDir'> = {}): Promise<TestStack> {
  const config = testConfig(dataDir, overrides);
  const db = openCatalog(join(dataDir, 'catalog.db'));
  const security = createSecurityStack({ config, db, logger: silentLogger(), clock });
  await security.start();
  return {
    db,
    security,
    config,
    close() {
      security.stop();
      db.close();
    },
  };
}

/** Fills the catalog up to a page limit (disk full) until no audit record fits any more. */
export function exhaustAuditStore(db: CatalogDatabase, append: (pad: string) => void): void {
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  for (const size of [2000, 400, 50, 0]) {
    for (let n = 0; n < 10_000; n++) {
      try {
        append('p'.repeat(size));
      } catch (error) {
        if ((error as { code?: string }).code !== 'PGW_ERR_AUDIT_UNAVAILABLE') throw error;
        break;
      }
    }
  }
}
