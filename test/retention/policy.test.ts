import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { candidateCutoff, expiryOf, holdsCovering, limitsFromConfig, planSweep, validateRules } from '../../src/retention/policy.js';
import type { LegalHold, RetainedItem, RetentionRule } from '../../src/retention/types.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 10, 12);
const limits = limitsFromConfig(loadConfig({ env: {} }).retention);
const JUSTIFICATION = 'Pilot of a court-ordered evidence protocol, council decision 2026/14';

function item(overrides: Partial<RetainedItem> = {}): RetainedItem {
  return { id: 'seg-1', dataClass: 'original', cameraId: 'cam-a', cameraKind: 'fixed', recordedAt: T0, ...overrides };
}

function hold(overrides: Partial<LegalHold> = {}): LegalHold {
  return { id: 'hold_1', cameraIds: ['cam-a'], fromMs: T0 - H, toMs: T0 + H, caseNumber: 'C-1', reason: 'case', placedBy: 'appr', placedAt: T0, ...overrides };
}

describe('class defaults (C1): the clock runs from recording time', () => {
  it.each([
    ['fixed-camera original', item(), 72, 'default:original'],
    ['original of a camera of unknown kind counts as fixed', item({ cameraKind: undefined }), 72, 'default:original'],
    ['body-worn original', item({ cameraKind: 'body_worn' }), 720, 'default:original:body_worn'],
    ['redacted segment', item({ dataClass: 'redacted' }), 720, 'default:redacted'],
    ['sidecar metadata', item({ dataClass: 'metadata' }), 720, 'default:metadata'],
    ['raw sensor payload', item({ dataClass: 'sensor_raw', cameraId: undefined }), 24, 'default:sensor_raw'],
    ['minimized sensor record', item({ dataClass: 'sensor_minimized', cameraId: undefined }), 2160, 'default:sensor_minimized'],
    ['export package', item({ dataClass: 'export' }), 720, 'default:export'],
  ])('%s', (_name, subject, hours, ruleId) => {
    expect(expiryOf(subject, [], limits)).toEqual({ expiresAt: T0 + hours * H, ruleId, maxAgeHours: hours });
  });
});

describe('several rules: the longest matching one wins', () => {
  const rules: RetentionRule[] = [
    { id: 'all-redacted-7d', dataClass: 'redacted', maxAgeHours: 168 },
    { id: 'cam-a-14d', dataClass: 'redacted', maxAgeHours: 336, cameraIds: ['cam-a'] },
    { id: 'incident-60d', dataClass: 'redacted', maxAgeHours: 1440, tags: ['incident'] },
    { id: 'body-worn-90d', dataClass: 'original', maxAgeHours: 2160, cameraKind: 'body_worn' },
    { id: 'fixed-48h', dataClass: 'original', maxAgeHours: 48, cameraKind: 'fixed' },
  ];
  it.each([
    ['an unscoped rule shortens the class default', item({ dataClass: 'redacted', cameraId: 'cam-b' }), 'all-redacted-7d', 168],
    ['camera scope beats the shorter unscoped rule', item({ dataClass: 'redacted' }), 'cam-a-14d', 336],
    ['tag scope beats both when longer', item({ dataClass: 'redacted', tags: ['incident'] }), 'incident-60d', 1440],
    ['a tag the item lacks does not match', item({ dataClass: 'redacted', cameraId: 'cam-b', tags: ['other'] }), 'all-redacted-7d', 168],
    ['camera kind scopes originals', item({ cameraKind: 'body_worn' }), 'body-worn-90d', 2160],
    ['fixed rule for fixed camera', item(), 'fixed-48h', 48],
    ['item without camera does not match a camera-scoped rule', item({ dataClass: 'redacted', cameraId: undefined }), 'all-redacted-7d', 168],
  ])('%s', (_name, subject, ruleId, hours) => {
    const expiry = expiryOf(subject, rules, limits);
    expect(expiry.ruleId).toBe(ruleId);
    expect(expiry.expiresAt).toBe(subject.recordedAt + hours * H);
  });

  it('never goes beyond the ceiling, even for a stored rule after the ceiling was lowered', () => {
    const lowered = { ...limits, ceilingsHours: { ...limits.ceilingsHours, redacted: 200 } };
    expect(expiryOf(item({ dataClass: 'redacted', tags: ['incident'] }), rules, lowered)).toEqual({ expiresAt: T0 + 200 * H, ruleId: 'ceiling:redacted', maxAgeHours: 200 });
  });
});

describe('holds (C2)', () => {
  it.each([
    ['covers its camera inside the window', item(), hold(), true],
    ['not another camera', item({ cameraId: 'cam-b' }), hold(), false],
    ['window end is exclusive', item({ recordedAt: T0 + H }), hold(), false],
    ['window start is inclusive', item({ recordedAt: T0 - H }), hold(), true],
    ['a segment that starts before the window but runs into it', item({ recordedAt: T0 - H - 5000, recordedUntil: T0 - H + 5000 }), hold(), true],
    ['a lifted hold protects nothing', item(), hold({ liftedAt: T0, liftedBy: 'appr2' }), false],
    ['an expired hold protects nothing', item(), hold({ expiresAt: T0 + 10 * H }), false],
    ['sensor data has no camera and is not covered', item({ dataClass: 'sensor_raw', cameraId: undefined }), hold(), false],
  ])('%s', (_name, subject, legalHold, covered) => {
    expect(holdsCovering(subject, [legalHold], T0 + 20 * H).length > 0).toBe(covered);
  });

  it('held data survives every rule; lifting lets the longest remaining rule apply', () => {
    const rules: RetentionRule[] = [
      { id: 'short', dataClass: 'original', maxAgeHours: 24 },
      { id: 'long-justified', dataClass: 'original', maxAgeHours: 240, cameraIds: ['cam-a'], justification: JUSTIFICATION },
    ];
    const subject = item();
    const activeHold = hold();
    const at = T0 + 500 * H;
    const whileHeld = planSweep([subject], rules, [activeHold], limits, at);
    expect(whileHeld.due).toEqual([]);
    expect(whileHeld.held).toEqual([{ item: subject, expiry: { expiresAt: T0 + 240 * H, ruleId: 'long-justified', maxAgeHours: 240 }, holdIds: ['hold_1'] }]);
    const lifted = { ...activeHold, liftedAt: at, liftedBy: 'appr2' };
    expect(planSweep([subject], rules, [lifted], limits, T0 + 240 * H - 1000).due).toEqual([]);
    expect(planSweep([subject], rules, [lifted], limits, T0 + 240 * H).due.map((d) => d.expiry.ruleId)).toEqual(['long-justified']);
  });
});

describe('planSweep at the expiry boundary', () => {
  const subject = item();
  const ttl = T0 + 72 * H;
  it.each([
    ['TTL − 1 s keeps', ttl - 1000, 0],
    ['TTL exactly deletes', ttl, 1],
    ['TTL + 1 s deletes', ttl + 1000, 1],
  ])('%s', (_name, at, due) => {
    expect(planSweep([subject], [], [], limits, at).due).toHaveLength(due);
  });

  it('orders deletions by expiry, then id, independent of inventory order', () => {
    const items = [item({ id: 'b' }), item({ id: 'a' }), item({ id: 'c', recordedAt: T0 - H })];
    expect(planSweep(items, [], [], limits, T0 + 100 * H).due.map((d) => d.item.id)).toEqual(['c', 'a', 'b']);
  });

  it('inventories need not list items younger than the shortest possible age', () => {
    const rules: RetentionRule[] = [{ id: 'r', dataClass: 'redacted', maxAgeHours: 2 }];
    expect(candidateCutoff('redacted', rules, limits, T0)).toBe(T0 - 2 * H + 1);
    expect(candidateCutoff('original', [], limits, T0)).toBe(T0 - 72 * H + 1);
  });
});

describe('rule validation', () => {
  it.each([
    ['fixed originals up to 72 h', { id: 'r', dataClass: 'original', maxAgeHours: 72 }, []],
    ['fixed originals over 72 h need a justification', { id: 'r', dataClass: 'original', maxAgeHours: 73 }, ['/rules/0/justification']],
    ['a token justification is not enough', { id: 'r', dataClass: 'original', maxAgeHours: 96, justification: 'because' }, ['/rules/0/justification']],
    ['a written justification allows it', { id: 'r', dataClass: 'original', maxAgeHours: 96, justification: JUSTIFICATION }, []],
    ['camera-scoped originals may be fixed cameras', { id: 'r', dataClass: 'original', maxAgeHours: 100, cameraIds: ['cam-a'] }, ['/rules/0/justification']],
    ['body-worn originals follow their own policy', { id: 'r', dataClass: 'original', maxAgeHours: 720, cameraKind: 'body_worn' }, []],
    ['the ceiling cannot be exceeded, justified or not', { id: 'r', dataClass: 'original', maxAgeHours: 2161, cameraKind: 'body_worn', justification: JUSTIFICATION }, ['/rules/0/maxAgeHours']],
    ['ceiling of another class', { id: 'r', dataClass: 'sensor_raw', maxAgeHours: 169 }, ['/rules/0/maxAgeHours']],
    ['sensor data cannot be scoped by camera', { id: 'r', dataClass: 'sensor_minimized', maxAgeHours: 10, cameraIds: ['cam-a'] }, ['/rules/0']],
  ] as [string, RetentionRule, string[]][])('%s', (_name, rule, paths) => {
    expect(validateRules([rule], limits).map((problem) => problem.path)).toEqual(paths);
  });

  it('rejects duplicate ids', () => {
    const rule: RetentionRule = { id: 'same', dataClass: 'redacted', maxAgeHours: 1 };
    expect(validateRules([rule, rule], limits)).toEqual([{ path: '/rules/1/id', message: "rule id 'same' is used twice" }]);
  });
});

describe('configured defaults and ceilings', () => {
  it('refuses a fixed-camera default above 72 h without a justification', () => {
    expect(() => loadConfig({ env: { PGW_RETENTION_DEFAULTS_HOURS_ORIGINAL_FIXED: '96' } })).toThrow(/originalFixedJustification/);
    const justified = loadConfig({ env: { PGW_RETENTION_DEFAULTS_HOURS_ORIGINAL_FIXED: '96', PGW_RETENTION_ORIGINAL_FIXED_JUSTIFICATION: JUSTIFICATION } });
    expect(limitsFromConfig(justified.retention).defaultsHours.original).toBe(96);
  });

  it('refuses a default above its ceiling', () => {
    expect(() => loadConfig({ env: { PGW_RETENTION_DEFAULTS_HOURS_ORIGINAL_BODY_WORN: '3000' } })).toThrow(/ceilingsHours.original/);
    expect(() => loadConfig({ env: { PGW_RETENTION_CEILINGS_HOURS_REDACTED: '100' } })).toThrow(/defaultsHours.redacted/);
  });
});
