import { describe, expect, it } from 'vitest';
import { coarsenPoint, redactText } from '../../src/sensors/field-transforms.js';
import { minimize, type MinimizeContext } from '../../src/sensors/policy-engine.js';
import { policySchema, type SensorPolicy } from '../../src/sensors/policy-schema.js';
import { SensorPolicyStore, validatePolicies } from '../../src/sensors/policy-store.js';
import { ManualClock } from '../../src/shared/clock.js';

const tokens: MinimizeContext = { pseudonymize: (value) => `tok(${value.length})` };

function policy(input: unknown): SensorPolicy {
  return policySchema.parse(input);
}

const airQuality = policy({
  id: 'air',
  topics: ['sensors/air/+/reading'],
  fields: {
    pm25: { action: 'keep', type: 'number', min: 0, max: 2000 },
    station: { action: 'keep', type: 'string', maxLength: 16, optional: true },
    location: { action: 'coarsen', type: 'point' },
    ts: { action: 'coarsen', type: 'timestamp', bucketMs: 60_000 },
  },
  output: { mode: 'record' },
});

/** Number of decimal places a number prints with in JSON. */
function printedDecimals(value: number): number {
  const [, fraction = ''] = JSON.stringify(value).split('.');
  return fraction.length;
}

describe('A7 allow-list: only fields a policy names leave the box', () => {
  it('drops every unnamed field, including identifiers, and counts them', () => {
    const result = minimize(
      airQuality,
      { pm25: 12.5, location: { lat: 43.048122, lon: -76.147424 }, ts: '2026-01-01T10:07:31Z', serial: 'SN-99812', imsi: '310150123456789', owner: 'x@y.org' },
      tokens,
    );
    expect(result).toEqual({
      ok: true,
      fields: { pm25: 12.5, location: { lat: 43.048, lon: -76.147 }, ts: Date.UTC(2026, 0, 1, 10, 7) },
      unknownFields: 3,
    });
    expect(JSON.stringify(result)).not.toMatch(/SN-99812|310150123456789|x@y\.org/);
  });

  it.each([
    ['missing required field', { location: { lat: 1, lon: 1 }, ts: 1_767_225_600_000 }, 'pm25'],
    ['string where a number is expected', { pm25: '12', location: { lat: 1, lon: 1 }, ts: 1_767_225_600_000 }, 'pm25'],
    ['number out of range', { pm25: -3, location: { lat: 1, lon: 1 }, ts: 1_767_225_600_000 }, 'pm25'],
    ['NaN-like value', { pm25: null, location: { lat: 1, lon: 1 }, ts: 1_767_225_600_000 }, 'pm25'],
    ['latitude beyond 90', { pm25: 1, location: { lat: 91, lon: 1 }, ts: 1_767_225_600_000 }, 'location'],
    ['point as array', { pm25: 1, location: [1, 1], ts: 1_767_225_600_000 }, 'location'],
    ['unparseable time', { pm25: 1, location: { lat: 1, lon: 1 }, ts: 'yesterday' }, 'ts'],
    ['over-long string', { pm25: 1, location: { lat: 1, lon: 1 }, ts: 1_767_225_600_000, station: 'x'.repeat(17) }, 'station'],
  ])('refuses a message with %s', (_name, payload, field) => {
    expect(minimize(airQuality, payload, tokens)).toEqual({ ok: false, reason: 'invalid_field', field });
  });

  it('never forwards a raw identifier: identifiers can only be pseudonymized', () => {
    expect(() => policy({ id: 'x', topics: ['t'], fields: { mac: { action: 'keep', type: 'identifier' } }, output: { mode: 'record' } })).toThrow();
    const alpr = policy({ id: 'alpr', topics: ['t'], fields: { plate: { action: 'pseudonymize', type: 'identifier', normalize: 'lowercase' } }, output: { mode: 'record' } });
    const result = minimize(alpr, { plate: 'ABC1234' }, { pseudonymize: (value) => (value === 'abc1234' ? 'TOKEN' : 'WRONG') });
    expect(result).toEqual({ ok: true, fields: { plate: 'TOKEN' }, unknownFields: 0 });
  });
});

describe('redact_text removes emails, phone numbers and plate-like strings (A7)', () => {
  it.each([
    ['Call me at 315-555-0142 about the pothole', 'Call me at [phone] about the pothole'],
    ['reach me: +1 (315) 555 0142.', 'reach me: [phone].'],
    ['mail jane.doe+311@example.com now', 'mail [email] now'],
    ['silver van ABC-1234 parked on the curb', 'silver van [plate] parked on the curb'],
    ['plate 7XYZ123 blocks the hydrant', 'plate [plate] blocks the hydrant'],
    ['NY 4821 ran the light', '[plate] ran the light'],
    ['Streetlight out at 300 South State Street', 'Streetlight out at 300 South State Street'],
    ['Route 66 bridge, 3rd lamp from 10am on', 'Route 66 bridge, 3rd lamp from 10am on'],
  ])('%s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });
});

describe('A10 location coarsening', () => {
  it('never prints a coordinate finer than the configured decimals (default 3)', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const violations: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const point = { lat: random() * 180 - 90, lon: random() * 360 - 180 };
      const coarse = coarsenPoint(point, { decimals: 3 });
      if (printedDecimals(coarse.lat) > 3 || printedDecimals(coarse.lon) > 3) violations.push(`rounded ${JSON.stringify(coarse)}`);
      if (Math.abs(coarse.lat - point.lat) > 0.0005 + 1e-12) violations.push(`moved ${JSON.stringify([point, coarse])}`);
      const grid = coarsenPoint(point, { decimals: 3, cellDeg: 0.005 });
      if (printedDecimals(grid.lat) > 3 || printedDecimals(grid.lon) > 3) violations.push(`grid ${JSON.stringify(grid)}`);
      if (Math.abs(Math.round(grid.lat * 1000)) % 5 !== 0) violations.push(`off grid ${grid.lat}`);
      if (point.lat - grid.lat < -1e-9 || point.lat - grid.lat >= 0.005) violations.push(`outside cell ${JSON.stringify([point, grid])}`);
    }
    expect(violations).toEqual([]);
  });

  it('refuses a record policy that would forward a per-device track', () => {
    const track = {
      id: 'gps',
      topics: ['t'],
      fields: { device: { action: 'pseudonymize', type: 'identifier' }, position: { action: 'coarsen', type: 'point' } },
      output: { mode: 'record' },
    };
    expect(() => validatePolicies([track])).toThrow(/per-device track/);
  });

  it('the body-worn GPS example forwards coarse positions with nothing that links them to a device', () => {
    const store = new SensorPolicyStore({ filePath: '/nonexistent/never-written.json', seedDir: 'config/policies', clock: new ManualClock() });
    const gps = store.load().policies.find((p) => p.id === 'body-worn-gps');
    expect(gps).toBeDefined();
    const records = [0, 1, 2, 3].map((step) =>
      minimize(gps as SensorPolicy, { deviceId: 'BWC-0042', officer: 'Badge 1187', position: { lat: 43.0481 + step * 0.0013, lon: -76.1474 }, ts: 1_767_261_000_000 + step * 30_000 }, tokens),
    );
    for (const record of records) {
      expect(record.ok).toBe(true);
      if (!record.ok) continue;
      expect(Object.keys(record.fields).sort()).toEqual(['position', 'ts']);
      expect(JSON.stringify(record.fields)).not.toMatch(/BWC|1187|tok\(/);
    }
  });
});

describe('example policies in config/policies', () => {
  it('all validate and cover the four sensor kinds', () => {
    const store = new SensorPolicyStore({ filePath: '/nonexistent/never-written.json', seedDir: 'config/policies', clock: new ManualClock() });
    const set = store.load();
    expect(set.version).toBe(1);
    expect(set.policies.map((p) => p.id).sort()).toEqual(['air-quality', 'body-worn-gps', 'service-request-311', 'wifi-presence']);
    const wifi = set.policies.find((p) => p.id === 'wifi-presence');
    expect(wifi?.output).toMatchObject({ mode: 'aggregate', windowMs: 900_000, k: 10, distinctField: 'mac' });
  });

  it('the 311 example forwards category, redacted text and a coarse location, and drops reporter fields', () => {
    const store = new SensorPolicyStore({ filePath: '/nonexistent/never-written.json', seedDir: 'config/policies', clock: new ManualClock() });
    const report = store.load().policies.find((p) => p.id === 'service-request-311') as SensorPolicy;
    const result = minimize(
      report,
      {
        category: 'pothole',
        description: 'Deep pothole, call me at 315-555-0142 or jane@example.org; blue car NY 4821 hit it',
        location: { lat: 43.047123, lon: -76.15123 },
        ts: '2026-03-01T10:22:00Z',
        reporterName: 'Jane Roe',
        reporterPhone: '3155550142',
      },
      tokens,
    );
    expect(result).toEqual({
      ok: true,
      fields: {
        category: 'pothole',
        description: 'Deep pothole, call me at [phone] or [email]; blue car [plate] hit it',
        location: { lat: 43.047, lon: -76.151 },
        ts: Date.UTC(2026, 2, 1, 10),
      },
      unknownFields: 2,
    });
  });
});
