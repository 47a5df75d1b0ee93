import { describe, expect, it } from 'vitest';
import { runUplinkStress } from '../../scripts/uplink-stress.js';

describe('uplink crash stress (H1, H2, P8): SIGKILL at random moments during ingest and upload', () => {
  it('after 50 kills and restarts every acknowledged artefact is in central storage exactly once', async () => {
    const report = await runUplinkStress({
      iterations: 50, maxKillDelayMs: 300, startupKillShare: 0.15,
      pgUrl: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    });
    console.info(`uplink stress: ${JSON.stringify(report)}`);
    expect(report.acknowledged).toBeGreaterThan(100);
    expect(report.filesystem).toMatchObject({ duplicates: 0, losses: 0, corrupt: 0, unexpected: 0, partialLeft: 0 });
    expect(report.postgres).toMatchObject({ duplicates: 0, losses: 0, unexpected: 0 });
    expect(report.filesystem.artefacts).toBe(report.committed);
    expect(report.postgres.rows).toBe(report.committed);
    expect(report.backlogAfterDrain).toBe(0);
  }, 240_000);
});
