import { describe, expect, it } from 'vitest';
import { CoverageLedger, mustRedactWholeFrame } from '../../src/redact/fail-closed.js';

describe('mustRedactWholeFrame (invariant P1)', () => {
  it.each([
    ['no analysis yet', 0, { lastSuccessPtsMs: undefined, latestAttemptFailed: false }, true],
    ['fresh success', 400, { lastSuccessPtsMs: 0, latestAttemptFailed: false }, false],
    ['success exactly maxAge old', 1000, { lastSuccessPtsMs: 0, latestAttemptFailed: false }, false],
    ['success older than maxAge', 1001, { lastSuccessPtsMs: 0, latestAttemptFailed: false }, true],
    ['latest attempt failed', 400, { lastSuccessPtsMs: 360, latestAttemptFailed: true }, true],
  ])('%s', (_name, pts, state, expected) => {
    expect(mustRedactWholeFrame(pts, state, 1000)).toBe(expected);
  });
});

describe('CoverageLedger', () => {
  it('answers coverage for frames in time order from outcomes in time order', () => {
    const ledger = new CoverageLedger();
    ledger.record(0, true);
    ledger.record(100, false);
    ledger.record(200, true);
    expect(ledger.at(0)).toEqual({ lastSuccessPtsMs: 0, latestAttemptFailed: false });
    expect(ledger.at(40)).toEqual({ lastSuccessPtsMs: 0, latestAttemptFailed: false });
    expect(ledger.at(120)).toEqual({ lastSuccessPtsMs: 0, latestAttemptFailed: true });
    expect(ledger.at(200)).toEqual({ lastSuccessPtsMs: 200, latestAttemptFailed: false });
  });

  it('stays bounded over a long stream', () => {
    const ledger = new CoverageLedger();
    for (let i = 0; i < 10_000; i += 1) {
      ledger.record(i * 40, i % 7 !== 0);
      ledger.at(i * 40);
    }
    expect(ledger.at(9_999 * 40).latestAttemptFailed).toBe(false);
  });
});
