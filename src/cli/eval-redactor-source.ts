import type { Config } from '../config/schema.js';
import { createFileRedactor, type FileRedactor } from '../pipeline/file-redactor.js';
import type { Logger } from '../shared/logger.js';
import type { ObjectClass } from '../vision/detector.js';
import type { ProfileName } from '../vision/profiles/index.js';
import type { EvalRegion, RegionSource } from './eval-run.js';

export interface RedactorSourceOptions {
  readonly profile: ProfileName;
  readonly modelsDir: string;
  readonly classes: ObjectClass[];
  readonly config: Config;
  readonly logger: Logger;
}

/**
 * The evaluation's view of `privacy-gateway redact`: the same file redactor (frame loop, detector worker, padding,
 * tracking), asked for regions only. Time per image is the whole redaction of one image minus nothing, and the
 * CPU time is this process's (detector worker included; ffmpeg decoding runs in a child process and is not).
 */
export async function redactorRegionSource(options: RedactorSourceOptions): Promise<{ source: RegionSource; close: () => Promise<void> }> {
  const { config } = options;
  const redactor: FileRedactor = await createFileRedactor({
    detector: { kind: 'profile', profile: options.profile, modelsDir: options.modelsDir, classes: options.classes },
    settings: config.pipeline,
    style: config.pipeline.redactionStyle,
    classes: options.classes,
    logger: options.logger,
  });
  const source: RegionSource = async (imagePath) => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const report = await redactor.redactFile(imagePath, {});
    const cpu = process.cpuUsage(cpuBefore);
    const regions: EvalRegion[] = (report.frames[0]?.regions ?? []).map((r) => ({ x: r.x, y: r.y, w: r.w, h: r.h, class: r.class, score: r.score ?? 1 }));
    return { regions, detectMs: performance.now() - started, detectCpuMs: (cpu.user + cpu.system) / 1000 };
  };
  return { source, close: () => redactor.close() };
}
