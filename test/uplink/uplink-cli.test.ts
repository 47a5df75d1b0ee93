import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import { runCli } from '../../src/main.js';
import { systemClock } from '../../src/shared/clock.js';
import { idempotencyKey, jsonSha256 } from '../../src/shared/idempotency-key.js';
import { silentLogger } from '../../src/shared/logger.js';
import { createUplink } from '../../src/uplink/build-uplink.js';
import { createSinks } from '../../src/uplink/sink-factory.js';
import { captureIo } from '../cli/capture-io.js';
import { RecordingAudit, temporaryDirectory, testCatalog } from './helpers.js';

describe('privacy-gateway uplink drain', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  beforeEach(() => {
    directory = temporaryDirectory('uplink-cli');
  });
  afterEach(() => directory.remove());

  /** Leaves `count` undelivered items in the data directory's outbox, as a stopped gateway would. */
  const leaveBacklog = (configInput: Record<string, unknown>, count: number) => {
    const config = configSchema.parse({ dataDir: directory.path, ...configInput });
    const catalog = testCatalog(directory.path);
    const uplink = createUplink({
      config, catalog, clock: systemClock, logger: silentLogger(), registry: new Registry(), audit: new RecordingAudit(), holds: { isHeld: () => false },
    }, createSinks(config, silentLogger()));
    for (let id = 0; id < count; id += 1) uplink.enqueue({ kind: 'audit_checkpoint', key: idempotencyKey(`checkpoint:${id}`, jsonSha256({ id })), body: { id } });
    catalog.close();
  };

  it('delivers the whole backlog and exits 0', async () => {
    leaveBacklog({}, 4);
    const capture = captureIo();
    const code = await runCli(['uplink', 'drain', '--data-dir', directory.path], capture.io);
    expect(capture.text.err).toBe('');
    expect(code).toBe(0);
    expect(capture.text.out).toMatch(/^uplink drained\n\s+filesystem\s+backlog\s+0/);
    expect(readdirSync(join(directory.path, 'central', 'audit_checkpoint', '_'))).toHaveLength(4);
  });

  it('exits 1 and names the error when central storage stays down past the timeout', async () => {
    const configPath = join(directory.path, 'config.yaml');
    writeFileSync(configPath, 'uplink:\n  retryBaseMs: 50\n  sinks:\n    postgres:\n      enabled: true\n      url: postgres://postgres@127.0.0.1:1/test\n');
    leaveBacklog({ uplink: { sinks: { postgres: { enabled: true, url: 'postgres://postgres@127.0.0.1:1/test' } } } }, 2);
    const capture = captureIo();
    const code = await runCli(['uplink', 'drain', '--config', configPath, '--data-dir', directory.path, '--timeout-ms', '1500'], capture.io);
    expect(code).toBe(1);
    expect(capture.text.out).toContain('uplink not drained after 1500 ms');
    expect(capture.text.out).toMatch(/postgres\s+backlog\s+2\s+dead\s+0\s+circuit \w+\s+last error: .*ECONNREFUSED/);
  });

  it('refuses an unknown subcommand', async () => {
    const capture = captureIo();
    expect(await runCli(['uplink', 'flush'], capture.io)).toBe(1);
    expect(capture.text.err).toContain('usage: privacy-gateway uplink drain');
  });
});

describe('gateway wiring', () => {
  it('starts the uplink with the filesystem sink at dataDir/central and serves its status route', async () => {
    const directory = temporaryDirectory('uplink-app');
    const gateway = createGateway(configSchema.parse({ dataDir: directory.path, http: { port: 0 }, log: { level: 'silent' } }), silentLogger());
    const { url } = await gateway.start();
    try {
      expect(existsSync(join(directory.path, 'central'))).toBe(true);
      expect(existsSync(join(directory.path, 'spool'))).toBe(true);
      const response = await fetch(`${url}/v1/uplink/status`);
      expect(response.status).toBe(401);
    } finally {
      await gateway.stop();
      directory.remove();
    }
  });
});
