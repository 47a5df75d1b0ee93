import { z } from 'zod';
import { FACE_BUCKETS } from './eval-scoring.js';
import type { SetResult } from './eval-run.js';

export interface EvalReport {
  readonly profile: string;
  readonly harness: string;
  readonly results: readonly SetResult[];
}

const fmt = (value: number): string => (Number.isNaN(value) ? '   -' : value.toFixed(3));

/** A fixed-width table, one row per (set, class). */
export function formatTable(report: EvalReport): string {
  const header = ['set', 'class', 'images', 'boxes', 'recall', ...FACE_BUCKETS.map((b) => `R ${b}`), 'precision', 'ms/img', 'cpu ms/img'];
  const rows = report.results.map((r) => [
    r.set,
    r.cls,
    String(r.score.images),
    String(r.score.boxes),
    fmt(r.score.recall),
    ...FACE_BUCKETS.map((b) => `${fmt(r.score.byBucket[b].recall)} (${r.score.byBucket[b].boxes})`),
    fmt(r.score.precision),
    r.meanDetectMs.toFixed(0),
    r.meanDetectCpuMs === null ? '-' : r.meanDetectCpuMs.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [`profile: ${report.profile}  (harness: ${report.harness})`, line(header), ...rows.map(line), ''].join('\n');
}

const floorSchema = z.object({
  recall: z.number().min(0).max(1).optional(),
  buckets: z.record(z.string(), z.number().min(0).max(1)).optional(),
});

/** Committed recall floors: profile → set → class → floor (overall and per size bucket). */
export const baselineSchema = z.record(z.string(), z.record(z.string(), z.record(z.string(), floorSchema)));
export type Baseline = z.infer<typeof baselineSchema>;

/** Every recall that fell below its committed floor, as readable lines (empty when all hold). */
export function checkAgainstBaseline(report: EvalReport, baseline: Baseline): string[] {
  const failures: string[] = [];
  for (const result of report.results) {
    const floor = baseline[report.profile]?.[result.set]?.[result.cls];
    if (!floor) continue;
    if (floor.recall !== undefined && !(result.score.recall >= floor.recall)) {
      failures.push(`${result.set}/${result.cls}: recall ${fmt(result.score.recall)} < baseline ${floor.recall}`);
    }
    for (const [bucket, min] of Object.entries(floor.buckets ?? {})) {
      const measured = result.score.byBucket[bucket as (typeof FACE_BUCKETS)[number]];
      if (!measured || measured.boxes === 0) continue;
      const actual = measured.recall;
      if (!(actual >= min)) failures.push(`${result.set}/${result.cls} ${bucket}: recall ${fmt(actual)} < baseline ${min}`);
    }
  }
  return failures;
}
