import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SensorPolicyStore } from '../../src/sensors/policy-store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { tempDir } from './helpers/sensor-harness.js';

const counter = { id: 'traffic-counter', topics: ['sensors/traffic/+/count'], fields: { vehicles: { action: 'keep', type: 'integer' } }, output: { mode: 'record' } };

describe('SensorPolicyStore', () => {
  it('keeps a stored set and its version across restarts', () => {
    const filePath = join(tempDir('store'), 'sensors', 'policies.json');
    const clock = new ManualClock(Date.UTC(2026, 4, 1));
    const first = new SensorPolicyStore({ filePath, seedDir: 'config/policies', clock });
    expect(first.load().version).toBe(1);
    first.commit(first.prepare([counter], 1, 'olivia'));
    const reopened = new SensorPolicyStore({ filePath, seedDir: 'config/policies', clock });
    expect(reopened.load()).toMatchObject({ version: 2, updatedBy: 'olivia', updatedAt: '2026-05-01T00:00:00.000Z', policies: [{ id: 'traffic-counter' }] });
    expect(() => reopened.prepare([counter], 1, 'olivia')).toThrow(/version 2, not 1/);
  });

  it('refuses to start from a damaged stored set instead of falling back to defaults', () => {
    const dir = tempDir('store');
    const filePath = join(dir, 'policies.json');
    writeFileSync(filePath, '{"version": 3, "policies": [');
    expect(() => new SensorPolicyStore({ filePath, seedDir: 'config/policies', clock: new ManualClock() }).load()).toThrow(/unreadable/);
    writeFileSync(filePath, JSON.stringify({ version: 3, updatedAt: '', updatedBy: 'x', policies: [{ ...counter, fields: { mac: { action: 'keep', type: 'identifier' } } }] }));
    expect(() => new SensorPolicyStore({ filePath, seedDir: 'config/policies', clock: new ManualClock() }).load()).toThrow(/not valid/);
  });
});
