import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createFileRedactor, type FileRedactor } from '../pipeline/file-redactor.js';
import type { RedactionReport } from '../pipeline/frame-report.js';
import type { RedactionStyle } from '../redact/region-ops.js';
import { describeError, GatewayError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { ObjectClass } from '../vision/detector.js';
import type { DetectorSpec } from '../vision/registry.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';
import { onStopSignals } from './stop-signals.js';
import { COMMAND_USAGE } from './usage.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  'out-dir': { type: 'string' },
  report: { type: 'string' },
  style: { type: 'string' },
  classes: { type: 'string' },
  profile: { type: 'string' },
} as const;

const STYLES: readonly RedactionStyle[] = ['pixelate', 'blur', 'fill'];
const CLASSES: readonly ObjectClass[] = ['face', 'plate'];
const PROFILES = ['thorough', 'live', 'none'] as const;
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new GatewayError('PGW_ERR_BAD_REQUEST', `--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

/** `<out-dir>/<name>.redacted.mp4` for videos; images keep their format. */
export function outputPathFor(outDir: string, input: string): string {
  const ext = extname(input).toLowerCase();
  const stem = basename(input, extname(input));
  return join(outDir, `${stem}.redacted${IMAGE_EXTENSIONS.has(ext) ? ext : '.mp4'}`);
}

function detectorSpec(config: Config, profile: (typeof PROFILES)[number], classes: ObjectClass[]): DetectorSpec {
  return profile === 'none' ? { kind: 'none' } : { kind: 'profile', profile, modelsDir: config.pipeline.modelsDir, classes };
}

function progressBar(io: CommandIo, input: string): { update(done: number, total: number | undefined): void; stop(): void } {
  const stream = io.stderr as NodeJS.WriteStream;
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ stream, format: `${basename(input)} [{bar}] {percentage}% {value}/{total} frames`, hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(1, 0);
  return {
    update: (done, total) => {
      bar.setTotal(Math.max(total ?? done, done));
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}

/** The output being written, so that an interrupt can remove its partial file. */
interface InProgress {
  output?: string | undefined;
}

async function redactOne(redactor: FileRedactor, io: CommandIo, input: string, outDir: string, inProgress: InProgress): Promise<RedactionReport> {
  const bar = progressBar(io, input);
  inProgress.output = outputPathFor(outDir, input);
  try {
    return await redactor.redactFile(input, { outputPath: inProgress.output, onProgress: (done, total) => bar.update(done, total) });
  } finally {
    inProgress.output = undefined;
    bar.stop();
  }
}

/**
 * Ctrl-C or SIGTERM ends the command with status 130 and removes the file being written: the redactor removes
 * `<name>.partial` when a file fails, but a signal would otherwise end the process first and leave it. The
 * detector is closed first (it lets a detection in flight finish): exiting while ONNX Runtime runs aborts.
 */
function exitOnInterrupt(io: CommandIo, inProgress: InProgress, redactor: FileRedactor, logger: Logger): () => void {
  return onStopSignals((signal) => {
    const output = inProgress.output;
    io.stderr.write(`redact: interrupted by ${signal}${output === undefined ? '' : `; ${basename(output)} was not written`}\n`);
    void redactor.close().finally(() => {
      // After the close: the encoder may only have created the file while the detection in flight finished.
      if (output !== undefined) rmSync(`${output}.partial`, { force: true });
      process.exit(130);
    });
  }, logger);
}

/** `redact`: every input is processed even when others fail; one line per failure; exit 1 if any failed. */
export async function runRedact(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, FLAGS, true);
  const outDir = values['out-dir'];
  if (positionals.length === 0 || outDir === undefined) throw new GatewayError('PGW_ERR_BAD_REQUEST', COMMAND_USAGE.redact);
  const config = loadConfig({ overrides: configOverrides(values) });
  const style = oneOf('style', values.style ?? config.pipeline.redactionStyle, STYLES);
  const classes = (values.classes?.split(',') ?? config.pipeline.classes).map((name) => oneOf('classes', name.trim(), CLASSES));
  const profile = oneOf('profile', values.profile ?? config.pipeline.offlineProfile, PROFILES);
  await mkdir(outDir, { recursive: true });
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level }, io.stderr);
  const redactor = await createFileRedactor({ detector: detectorSpec(config, profile, classes), settings: config.pipeline, style, classes, logger });
  const reports: RedactionReport[] = [];
  const errors: { input: string; error: string }[] = [];
  const inProgress: InProgress = {};
  const removeInterruptHandler = exitOnInterrupt(io, inProgress, redactor, logger);
  try {
    for (const input of positionals) {
      try {
        const report = await redactOne(redactor, io, input, outDir, inProgress);
        reports.push(report);
        if (report.failClosedFrames > 0) {
          errors.push({ input, error: `${basename(input)}: ${report.failClosedFrames} frames fully redacted because the detector failed` });
        }
        io.stdout.write(`${input} -> ${outputPathFor(outDir, input)} (${report.frameCount} frames)\n`);
      } catch (error) {
        errors.push({ input, error: describeError(error) });
      }
    }
  } finally {
    removeInterruptHandler();
    await redactor.close();
  }
  for (const { error } of errors) io.stderr.write(`redact: ${error}\n`);
  if (values.report !== undefined) await writeFile(values.report, `${JSON.stringify({ reports, errors }, null, 1)}\n`);
  return errors.length > 0 ? 1 : 0;
}
