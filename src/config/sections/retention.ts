import { z } from 'zod';

/** Originals of fixed cameras are kept at most this long unless a written justification is configured. */
export const FIXED_ORIGINAL_LIMIT_HOURS = 72;
/** A justification shorter than this is not a justification. */
export const MIN_JUSTIFICATION_LENGTH = 20;

const TEN_YEARS_HOURS = 87_600;
const hours = (fallback: number, description: string) =>
  z.number().positive().max(TEN_YEARS_HOURS).default(fallback).describe(description);

const defaultsHours = z
  .strictObject({
    originalFixed: hours(FIXED_ORIGINAL_LIMIT_HOURS, 'Originals of fixed cameras (at most 72 h unless originalFixedJustification is set).'),
    originalBodyWorn: hours(720, 'Originals of body-worn cameras.'),
    redacted: hours(720, 'Redacted segments in the spool.'),
    metadata: hours(720, 'Sidecars and event metadata.'),
    sensorRaw: hours(24, 'Raw sensor payloads, where a policy keeps them at all.'),
    sensorMinimized: hours(2160, 'Minimized sensor records and aggregates.'),
    export: hours(720, 'Export packages (redacted or unredacted) kept on the box.'),
  })
  .prefault({})
  .describe('Default maximum age per data class, in hours from recording time, used when no operator rule matches.');

const ceilingsHours = z
  .strictObject({
    original: hours(2160, 'Originals (any camera).'),
    redacted: hours(8760, 'Redacted segments.'),
    metadata: hours(8760, 'Sidecars and event metadata.'),
    sensorRaw: hours(168, 'Raw sensor payloads.'),
    sensorMinimized: hours(8760, 'Minimized sensor records and aggregates.'),
    export: hours(8760, 'Export packages.'),
  })
  .prefault({})
  .describe('City-wide ceiling per data class set by the administrator; no rule or default may exceed it.');

type RetentionSectionShape = {
  defaultsHours: z.infer<typeof defaultsHours>;
  ceilingsHours: z.infer<typeof ceilingsHours>;
  originalFixedJustification: string;
};

const DEFAULT_TO_CEILING = {
  originalFixed: 'original',
  originalBodyWorn: 'original',
  redacted: 'redacted',
  metadata: 'metadata',
  sensorRaw: 'sensorRaw',
  sensorMinimized: 'sensorMinimized',
  export: 'export',
} as const satisfies Record<keyof RetentionSectionShape['defaultsHours'], keyof RetentionSectionShape['ceilingsHours']>;

/** Cross-field rules: defaults stay under their ceilings; long fixed-camera originals need a justification. */
export function checkRetentionLimits(section: RetentionSectionShape, ctx: z.RefinementCtx): void {
  for (const [name, ceilingName] of Object.entries(DEFAULT_TO_CEILING) as [keyof typeof DEFAULT_TO_CEILING, keyof RetentionSectionShape['ceilingsHours']][]) {
    if (section.defaultsHours[name] > section.ceilingsHours[ceilingName]) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultsHours', name],
        message: `default ${section.defaultsHours[name]} h exceeds ceilingsHours.${ceilingName} (${section.ceilingsHours[ceilingName]} h)`,
      });
    }
  }
  const justified = section.originalFixedJustification.trim().length >= MIN_JUSTIFICATION_LENGTH;
  if (section.defaultsHours.originalFixed > FIXED_ORIGINAL_LIMIT_HOURS && !justified) {
    ctx.addIssue({
      code: 'custom',
      path: ['originalFixedJustification'],
      message: `defaultsHours.originalFixed above ${FIXED_ORIGINAL_LIMIT_HOURS} h needs a written justification of at least ${MIN_JUSTIFICATION_LENGTH} characters`,
    });
  }
}

export const retentionSection = z
  .strictObject({
    sweepIntervalMs: z
      .number().int().min(1000).max(86_400_000).default(60_000)
      .describe('Time between retention sweeps (one also runs at startup). Data is deleted within one interval after it expires.'),
    clockJumpToleranceMs: z
      .number().int().min(0).max(3_600_000).default(2000)
      .describe('When the wall clock runs ahead of the monotonic estimate by more than this, sweeps use the estimate (nothing is deleted early) and report the jump.'),
    journalKeepHours: z
      .number().positive().max(TEN_YEARS_HOURS).default(168)
      .describe('How long finished entries of the deletion journal are kept (the audit log is the permanent record).'),
    defaultsHours,
    originalFixedJustification: z
      .string().max(2000).default('')
      .describe('Written justification that allows defaultsHours.originalFixed above 72 h.'),
    ceilingsHours,
  })
  .superRefine(checkRetentionLimits)
  .prefault({})
  .describe('Retention: class defaults, city-wide ceilings and the sweep schedule. Operators add rules and approvers place legal holds through the API.');
