import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../shared/errors.js';
import type { ObjectClass } from '../vision/detector.js';
import { createProfileDetector, isProfileName, type ProfileName } from '../vision/profiles/index.js';
import { parseCommandArgs, type CommandIo } from './common.js';
import { directRegionSource } from './eval-direct-harness.js';
import { checkAgainstBaseline, baselineSchema, formatTable, type EvalReport } from './eval-report.js';
import { evaluateSet, type SetResult } from './eval-run.js';
import { loadEvalSet } from './eval-sets.js';

export const DEFAULT_SETS = [
  '../shared/eval/wider_face_street/labels.json',
  '../shared/eval/openalpr_plates/labels.json',
  '../shared/eval/ro_dashcam_plates/labels.json',
];
export const DEFAULT_BASELINE = 'test/eval-baseline.json';
export const DEFAULT_MODELS_DIR = 'models';

const OPTIONS = {
  set: { type: 'string', multiple: true },
  profile: { type: 'string', default: 'thorough' },
  json: { type: 'boolean', default: false },
  check: { type: 'boolean', default: false },
  baseline: { type: 'string', default: DEFAULT_BASELINE },
  limit: { type: 'string' },
  'models-dir': { type: 'string', default: DEFAULT_MODELS_DIR },
  output: { type: 'string' },
} as const;

const USAGE = `usage: privacy-gateway eval [--set PATH/labels.json]... [--profile live|thorough] [--limit N] [--json] [--output FILE] [--check] [--baseline FILE]\n`;

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) throw new GatewayError('PGW_ERR_BAD_REQUEST', `--limit must be a positive integer, got '${value}'`);
  return limit;
}

/** Scores one profile on labelled image sets and optionally checks recall against the committed baseline. */
export async function runEval(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const profile = values.profile;
  if (!isProfileName(profile)) {
    io.stderr.write(`eval: unknown profile '${profile}'\n${USAGE}`);
    return 2;
  }
  const limit = parseLimit(values.limit);
  const sets = await Promise.all((values.set ?? DEFAULT_SETS).map((labels) => loadEvalSet(labels, limit)));
  const results = await evaluateProfile(profile, values['models-dir'], sets, io);
  const report: EvalReport = { profile, harness: 'direct-detector', results };
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
  if (values.output) await writeFile(values.output, `${JSON.stringify(report, null, 2)}\n`);
  if (!values.check) return 0;
  const baseline = baselineSchema.parse(JSON.parse(await readFile(path.resolve(values.baseline), 'utf8')));
  const failures = checkAgainstBaseline(report, baseline);
  for (const failure of failures) io.stderr.write(`eval check failed: ${failure}\n`);
  return failures.length === 0 ? 0 : 1;
}

async function evaluateProfile(profile: ProfileName, modelsDir: string, sets: Awaited<ReturnType<typeof loadEvalSet>>[], io: CommandIo): Promise<SetResult[]> {
  const classes = [...new Set(sets.flatMap((set) => set.classes))].filter((c): c is ObjectClass => c === 'face' || c === 'plate');
  const detector = await createProfileDetector(profile, { modelsDir, classes });
  try {
    const results: SetResult[] = [];
    for (const set of sets) {
      results.push(...(await evaluateSet(set, directRegionSource(detector), (done, total) => {
        if (done === total || done % 10 === 0) io.stderr.write(`eval ${set.name}: ${done}/${total}\n`);
      })));
    }
    return results;
  } finally {
    await detector.dispose();
  }
}
