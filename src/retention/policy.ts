import type { Config } from '../config/schema.js';
import { FIXED_ORIGINAL_LIMIT_HOURS, MIN_JUSTIFICATION_LENGTH } from '../config/sections/retention.js';
import { DATA_CLASSES, type DataClass, type Expiry, type LegalHold, type RetainedItem, type RetentionLimits, type RetentionRule } from './types.js';

/**
 * The pure retention policy: which rule decides an item's expiry, which holds protect it, and what a
 * sweep at a given instant deletes. The sweeper and the preview both call `planSweep`, so a preview for
 * instant T lists exactly what a sweep at T deletes.
 */

const HOUR_MS = 3_600_000;

export function hoursToMs(hours: number): number {
  return Math.round(hours * HOUR_MS);
}

const CAMERALESS_CLASSES: ReadonlySet<DataClass> = new Set(['sensor_raw', 'sensor_minimized']);

export function ruleMatches(rule: RetentionRule, item: RetainedItem): boolean {
  if (rule.dataClass !== item.dataClass) return false;
  if (rule.cameraIds && (item.cameraId === undefined || !rule.cameraIds.includes(item.cameraId))) return false;
  if (rule.cameraKind && rule.cameraKind !== (item.cameraKind ?? 'fixed')) return false;
  if (rule.tags && !rule.tags.some((tag) => item.tags?.includes(tag))) return false;
  return true;
}

function classDefault(item: RetainedItem, limits: RetentionLimits): Expiry {
  const bodyWorn = item.dataClass === 'original' && item.cameraKind === 'body_worn';
  const hours = bodyWorn ? limits.defaultsHours.originalBodyWorn : limits.defaultsHours[item.dataClass];
  const ruleId = bodyWorn ? 'default:original:body_worn' : `default:${item.dataClass}`;
  return { expiresAt: item.recordedAt + hoursToMs(hours), ruleId, maxAgeHours: hours };
}

/**
 * When an item expires: the longest of the rules that match it (the class default when none does),
 * never beyond the city-wide ceiling of its class. Holds are not considered here.
 */
export function expiryOf(item: RetainedItem, rules: readonly RetentionRule[], limits: RetentionLimits): Expiry {
  let chosen: Expiry | undefined;
  for (const rule of rules) {
    if (!ruleMatches(rule, item)) continue;
    if (chosen === undefined || rule.maxAgeHours > chosen.maxAgeHours) {
      chosen = { expiresAt: item.recordedAt + hoursToMs(rule.maxAgeHours), ruleId: rule.id, maxAgeHours: rule.maxAgeHours };
    }
  }
  const decided = chosen ?? classDefault(item, limits);
  const ceiling = limits.ceilingsHours[item.dataClass];
  if (decided.maxAgeHours <= ceiling) return decided;
  return { expiresAt: item.recordedAt + hoursToMs(ceiling), ruleId: `ceiling:${item.dataClass}`, maxAgeHours: ceiling };
}

export function holdIsActive(hold: LegalHold, now: number): boolean {
  return hold.liftedAt === undefined && (hold.expiresAt === undefined || now < hold.expiresAt);
}

/** Active holds whose cameras and recording window cover any part of the item's recorded span. */
export function holdsCovering(item: RetainedItem, holds: readonly LegalHold[], now: number): LegalHold[] {
  if (item.cameraId === undefined) return [];
  const cameraId = item.cameraId;
  const until = item.recordedUntil ?? item.recordedAt;
  return holds.filter(
    (hold) => holdIsActive(hold, now) && hold.cameraIds.includes(cameraId) && item.recordedAt < hold.toMs && until >= hold.fromMs,
  );
}

export interface DueItem {
  readonly item: RetainedItem;
  readonly expiry: Expiry;
}

export interface HeldItem extends DueItem {
  readonly holdIds: readonly string[];
}

export interface SweepPlan {
  readonly at: number;
  /** Expired and not held: the sweep deletes these, in this order. */
  readonly due: readonly DueItem[];
  /** Expired but protected by at least one active hold. */
  readonly held: readonly HeldItem[];
}

function byExpiryThenId(a: DueItem, b: DueItem): number {
  return a.expiry.expiresAt - b.expiry.expiresAt || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0);
}

/** What a sweep at instant `at` does: an item is due when `at >= expiresAt` and no active hold covers it. */
export function planSweep(
  items: readonly RetainedItem[],
  rules: readonly RetentionRule[],
  holds: readonly LegalHold[],
  limits: RetentionLimits,
  at: number,
): SweepPlan {
  const due: DueItem[] = [];
  const held: HeldItem[] = [];
  for (const item of items) {
    const expiry = expiryOf(item, rules, limits);
    if (at < expiry.expiresAt) continue;
    const covering = holdsCovering(item, holds, at);
    if (covering.length > 0) held.push({ item, expiry, holdIds: covering.map((hold) => hold.id) });
    else due.push({ item, expiry });
  }
  return { at, due: due.sort(byExpiryThenId), held: held.sort(byExpiryThenId) };
}

/**
 * The shortest maximum age any item of the class can have under these rules and limits; items recorded
 * at or after `at - shortest` cannot be due at `at`, so inventories need not list them.
 */
export function candidateCutoff(dataClass: DataClass, rules: readonly RetentionRule[], limits: RetentionLimits, at: number): number {
  const ages = [limits.defaultsHours[dataClass], limits.ceilingsHours[dataClass]];
  if (dataClass === 'original') ages.push(limits.defaultsHours.originalBodyWorn);
  for (const rule of rules) if (rule.dataClass === dataClass) ages.push(rule.maxAgeHours);
  return at - hoursToMs(Math.min(...ages)) + 1;
}

export interface RuleProblem {
  readonly path: string;
  readonly message: string;
}

function ruleProblems(rule: RetentionRule, index: number, limits: RetentionLimits): RuleProblem[] {
  const path = `/rules/${index}`;
  const problems: RuleProblem[] = [];
  const ceiling = limits.ceilingsHours[rule.dataClass];
  if (rule.maxAgeHours > ceiling) {
    problems.push({ path: `${path}/maxAgeHours`, message: `${rule.maxAgeHours} h exceeds the city-wide ceiling of ${ceiling} h for ${rule.dataClass}` });
  }
  const mayCoverFixed = rule.dataClass === 'original' && rule.cameraKind !== 'body_worn';
  const justified = (rule.justification?.trim().length ?? 0) >= MIN_JUSTIFICATION_LENGTH;
  if (mayCoverFixed && rule.maxAgeHours > FIXED_ORIGINAL_LIMIT_HOURS && !justified) {
    problems.push({
      path: `${path}/justification`,
      message: `originals of fixed cameras may be kept longer than ${FIXED_ORIGINAL_LIMIT_HOURS} h only with a written justification of at least ${MIN_JUSTIFICATION_LENGTH} characters (or scope the rule to cameraKind body_worn)`,
    });
  }
  if (CAMERALESS_CLASSES.has(rule.dataClass) && (rule.cameraIds !== undefined || rule.cameraKind !== undefined)) {
    problems.push({ path, message: `${rule.dataClass} has no camera; scope it by tag instead of camera or camera kind` });
  }
  return problems;
}

/** Every reason a rule set is not acceptable, with JSON-pointer paths into `{ rules: [...] }`. */
export function validateRules(rules: readonly RetentionRule[], limits: RetentionLimits): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.id)) problems.push({ path: `/rules/${index}/id`, message: `rule id '${rule.id}' is used twice` });
    seen.add(rule.id);
    if (!DATA_CLASSES.includes(rule.dataClass)) problems.push({ path: `/rules/${index}/dataClass`, message: `unknown data class '${String(rule.dataClass)}'` });
    else problems.push(...ruleProblems(rule, index, limits));
  });
  return problems;
}

/** The administrator's class defaults and ceilings from the `retention` configuration section. */
export function limitsFromConfig(section: Config['retention']): RetentionLimits {
  const { defaultsHours: d, ceilingsHours: c } = section;
  return {
    defaultsHours: {
      original: d.originalFixed,
      originalBodyWorn: d.originalBodyWorn,
      redacted: d.redacted,
      metadata: d.metadata,
      sensor_raw: d.sensorRaw,
      sensor_minimized: d.sensorMinimized,
      export: d.export,
    },
    ceilingsHours: {
      original: c.original,
      redacted: c.redacted,
      metadata: c.metadata,
      sensor_raw: c.sensorRaw,
      sensor_minimized: c.sensorMinimized,
      export: c.export,
    },
  };
}
