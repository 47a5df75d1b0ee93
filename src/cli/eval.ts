import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../shared/errors.js';
import type { ObjectClass } from '../vision/detector.js';
import { isProfileName, type ProfileName } from '../vision/profiles/index.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../shared/logger.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';
import { COMMAND_USAGE } from './usage.js';
import { redactorRegionSource } from './eval-redactor-source.js';
import { checkAgainstBaseline, baselineSchema, formatTable, type EvalReport } from './eval-report.js';
import { evaluateSet, type SetResult } from './eval-run.js';
import { loadEvalSet, type EvalSet } from './eval-sets.js';

export const DEFAULT_SETS = [
  '../shared/eval/wider_face_street/labels.json',
  '../shared/eval/openalpr_plates/labels.json',
  '../shared/eval/ro_dashcam_plates/labels.json',
];
export const DEFAULT_BASELINE = 'test/eval-baseline.json';

const OPTIONS = {
  ...CONFIG_FLAGS,
  set: { type: 'string', multiple: true },
  profile: { type: 'string', default: 'thorough' },
  json: { type: 'boolean', default: false },
  check: { type: 'boolean', default: false },
  baseline: { type: 'string', default: DEFAULT_BASELINE },
  limit: { type: 'string' },
  'models-dir': { type: 'string' },
  output: { type: 'string' },
} as const;

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
    io.stderr.write(`eval: unknown profile '${profile}'\n${COMMAND_USAGE.eval}\n`);
    return 2;
  }
  const limit = parseLimit(values.limit);
  const sets = await Promise.all((values.set ?? DEFAULT_SETS).map((labels) => loadEvalSet(labels, limit)));
  const config = loadConfig({ overrides: configOverrides(values) });
  const results = await evaluateProfile(profile, values['models-dir'] ?? config.pipeline.modelsDir, config, sets, io);
  const report: EvalReport = { profile, harness: 'file-redactor', results };
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
  if (values.output) await writeFile(values.output, `${JSON.stringify(report, null, 2)}\n`);
  if (!values.check) return 0;
  const baseline = baselineSchema.parse(JSON.parse(await readFile(path.resolve(values.baseline), 'utf8')));
  const failures = checkAgainstBaseline(report, baseline);
  for (const failure of failures) io.stderr.write(`eval check failed: ${failure}\n`);
  return failures.length === 0 ? 0 : 1;
}

async function evaluateProfile(profile: ProfileName, modelsDir: string, config: Config, sets: EvalSet[], io: CommandIo): Promise<SetResult[]> {
  const logger = createLogger({ level: 'warn' }, io.stderr);
  const results: SetResult[] = [];
  for (const set of sets) {
    // Each set is scored only for the classes it is labelled for, so only those detectors run (and are timed).
    const classes = set.classes.filter((c): c is ObjectClass => c === 'face' || c === 'plate');
    const { source, close } = await redactorRegionSource({ profile, modelsDir, classes, config, logger });
    try {
      results.push(...(await evaluateSet(set, source, (done, total) => {
        if (done === total || done % 10 === 0) io.stderr.write(`eval ${set.name}: ${done}/${total}\n`);
      })));
    } finally {
      await close();
    }
  }
  return results;
}
