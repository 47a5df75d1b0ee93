import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../src/sensors/policy-schema.js';
import { PseudonymKeyRing } from '../../src/sensors/pseudonym-key-ring.js';
import { SensorPipeline } from '../../src/sensors/sensor-pipeline.js';
import { SensorStats } from '../../src/sensors/sensor-stats.js';
import { WindowAggregator } from '../../src/sensors/window-aggregator.js';
import { ManualClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { CollectingForwarder } from './helpers/collecting-forwarder.js';
import { bruteForceMacSuffixesInParallel } from './helpers/mac-suffix-scan.js';

const OUI = 'aa:bb:cc';

describe('A8 brute force of the MAC suffix space against the output', () => {
  it('recovers nothing from pseudonymized output, while the same scan finds an unkeyed hash', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 8));
    const forwarder = new CollectingForwarder();
    const policy = policySchema.parse({
      id: 'bluetooth-transit',
      topics: ['sensors/bt/+/seen'],
      fields: {
        mac: { action: 'pseudonymize', type: 'identifier', normalize: 'mac' },
        zone: { action: 'keep', type: 'string' },
        ts: { action: 'coarsen', type: 'timestamp', bucketMs: 900_000 },
      },
      output: { mode: 'record' },
    });
    const pipeline = new SensorPipeline({
      clock,
      keyRing: new PseudonymKeyRing({ clock, periodMs: 86_400_000 }),
      aggregator: new WindowAggregator(60_000),
      forwarder,
      stats: new SensorStats(clock, silentLogger(), 60_000),
      dedupeSecret: Buffer.alloc(32, 7),
      maxPayloadBytes: 4096,
      policies: () => ({ version: 1, updatedAt: '', updatedBy: 'test', policies: [policy] }),
    });
    const macs = Array.from({ length: 300 }, (_, i) => {
      const suffix = ((i * 2_654_435_761) >>> 8) & 0xffffff;
      const hex = suffix.toString(16).padStart(6, '0');
      return `${OUI}:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
    });
    for (const [i, mac] of macs.entries()) {
      const shown = i % 2 === 0 ? mac.toUpperCase().replace(/:/g, '-') : mac;
      await pipeline.handle(`sensors/bt/reader-${i % 7}/seen`, Buffer.from(JSON.stringify({ mac: shown, zone: `z${i % 5}`, ts: clock.now() })));
    }
    expect(forwarder.items).toHaveLength(macs.length);
    const output = forwarder.items.map((item) => JSON.stringify(item));
    // Positive control: a pseudonymizer without a key (plain SHA-256) is broken by the same scan.
    const control = macs[17] as string;
    const unkeyed = createHash('sha256').update(control).digest().subarray(0, 16).toString('base64url');
    const recovered = await bruteForceMacSuffixesInParallel(OUI, [...output, JSON.stringify({ fields: { mac: unkeyed } })]);
    expect(recovered).toEqual([control]);
  }, 120_000);
});
