import { describe, expect, it } from 'vitest';
import { suppressSmallCells, type CellInput } from '../../src/sensors/cell-suppression.js';
import { policySchema } from '../../src/sensors/policy-schema.js';
import { WindowAggregator } from '../../src/sensors/window-aggregator.js';

function cells(counts: Record<string, number>): CellInput[] {
  return Object.entries(counts).map(([zone, n]) => ({ zone, n, records: n, sum: 0 }));
}

describe('A9 small-cell suppression (k = 10)', () => {
  it.each([
    ['all cells large: everything published', { a: 12, b: 40, c: 10 }, ['a', 'b', 'c'], 62, 0, 0],
    ['one small cell: it and the smallest other cell are suppressed', { a: 3, b: 40, c: 12 }, ['b'], 55, 1, 1],
    ['two small cells summing to ≥ k: only they are suppressed', { a: 4, b: 6, c: 30 }, ['c'], 40, 2, 0],
    ['two small cells summing to < k: one more is suppressed', { a: 2, b: 3, c: 30, d: 11 }, ['c'], 46, 2, 1],
    ['a single small cell alone: cell and total withheld', { a: 9 }, [], null, 1, 0],
    ['only small cells summing to < k: total withheld', { a: 2, b: 3 }, [], null, 2, 0],
    ['only small cells summing to ≥ k: total published, no cell', { a: 5, b: 7 }, [], 12, 2, 0],
    ['one large cell with one small: both suppressed, total published', { a: 3, b: 25 }, [], 28, 1, 1],
  ])('%s', (_name, counts, published, total, primary, complementary) => {
    const table = suppressSmallCells(cells(counts), 10, 'count');
    expect(table.cells.map((cell) => cell.zone)).toEqual(published);
    expect(table.total?.value ?? null).toBe(total);
    expect(table.suppressedPrimary).toBe(primary);
    expect(table.suppressedComplementary).toBe(complementary);
  });

  it('no suppressed cell can be derived from the published cells and total (randomized tables)', () => {
    let seed = 11;
    const random = (max: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % max;
    };
    const violations: string[] = [];
    for (let round = 0; round < 5000; round++) {
      const counts: Record<string, number> = {};
      const zones = 1 + random(6);
      for (let z = 0; z < zones; z++) counts[`z${z}`] = 1 + random(25);
      const table = suppressSmallCells(cells(counts), 10, 'count');
      if (table.cells.some((cell) => cell.n < 10)) violations.push(`small cell published ${JSON.stringify(counts)}`);
      const hidden = Object.keys(counts).filter((zone) => !table.cells.some((cell) => cell.zone === zone));
      if (table.total === null || hidden.length === 0) continue;
      // What an attacker can compute: total − published = the sum of the hidden cells.
      const derived = table.total.value - table.cells.reduce((sum, cell) => sum + cell.value, 0);
      if (hidden.length < 2 || derived < 10) violations.push(`derivable ${JSON.stringify(counts)}`);
    }
    expect(violations).toEqual([]);
  });

  it('suppresses by contributors for sum and mean too', () => {
    const table = suppressSmallCells(
      [
        { zone: 'a', n: 2, records: 2, sum: 100 },
        { zone: 'b', n: 20, records: 40, sum: 400 },
        { zone: 'c', n: 15, records: 15, sum: 30 },
      ],
      10,
      'mean',
    );
    expect(table.cells).toEqual([{ zone: 'b', n: 20, value: 10 }]);
    expect(table.total).toEqual({ n: 37, value: 530 / 57 });
  });
});

describe('WindowAggregator', () => {
  const wifi = policySchema.parse({
    id: 'wifi',
    topics: ['t'],
    fields: {
      mac: { action: 'pseudonymize', type: 'identifier' },
      zone: { action: 'keep', type: 'string' },
      ts: { action: 'coarsen', type: 'timestamp', bucketMs: 900_000 },
    },
    output: { mode: 'aggregate', zoneField: 'zone', timeField: 'ts', distinctField: 'mac' },
  });
  const windowStart = Date.UTC(2026, 0, 1, 10, 0);

  it('counts distinct pseudonyms per zone and publishes only after the window and grace have passed', () => {
    const aggregator = new WindowAggregator(60_000);
    for (let device = 0; device < 12; device++) {
      for (let probe = 0; probe < 3; probe++) aggregator.add(wifi, 4, { mac: `tok${device}`, zone: 'plaza', ts: windowStart }, windowStart + 1000);
    }
    for (let device = 0; device < 4; device++) aggregator.add(wifi, 4, { mac: `tok${device}`, zone: 'library', ts: windowStart }, windowStart + 1000);
    for (let device = 0; device < 11; device++) aggregator.add(wifi, 4, { mac: `other${device}`, zone: 'station', ts: windowStart }, windowStart + 1000);
    expect(aggregator.flushDue(windowStart + 900_000 + 59_999)).toEqual([]);
    const [aggregate] = aggregator.flushDue(windowStart + 900_000 + 60_000);
    expect(aggregate).toMatchObject({ policyId: 'wifi', policyVersion: 4, windowStart, windowEnd: windowStart + 900_000, k: 10, partial: false });
    // library (4) is below k; station (11) is the smallest other cell and is suppressed with it.
    expect(aggregate?.cells).toEqual([{ zone: 'plaza', n: 12, value: 12 }]);
    expect(aggregate?.total).toEqual({ n: 27, value: 27 });
    expect(JSON.stringify(aggregate)).not.toMatch(/tok|other/);
    expect(aggregator.openWindows()).toBe(0);
  });

  it('refuses records for a window that was already published', () => {
    const aggregator = new WindowAggregator(60_000);
    expect(aggregator.add(wifi, 1, { mac: 'a', zone: 'plaza', ts: windowStart }, windowStart + 960_000)).toBe('late');
    expect(aggregator.add(wifi, 1, { mac: 'a', zone: 'plaza', ts: windowStart }, windowStart + 959_999)).toBe('added');
  });

  it('refuses records for windows far ahead of the clock, which would stay open until then', () => {
    const aggregator = new WindowAggregator(60_000);
    expect(aggregator.add(wifi, 1, { mac: 'a', zone: 'plaza', ts: Date.UTC(2099, 0, 1) }, windowStart)).toBe('future');
    expect(aggregator.add(wifi, 1, { mac: 'a', zone: 'plaza', ts: windowStart + 900_000 }, windowStart)).toBe('added');
    expect(aggregator.openWindows()).toBe(1);
  });
});
