import type { PipelineConfig } from '../config/sections/pipeline.js';
import { createFileRedactor, type FileRedactor } from '../pipeline/file-redactor.js';
import type { Logger } from '../shared/logger.js';
import type { ObjectClass } from '../vision/detector.js';
import type { DetectorSpec } from '../vision/registry.js';

/** The file redactor of upload jobs, built on first use (it loads the offline profile's models) and closed once. */
export class LazyFileRedactor {
  private redactor: Promise<FileRedactor> | undefined;

  constructor(private readonly pipeline: PipelineConfig, private readonly logger: Logger, private readonly detector?: DetectorSpec) {}

  get(): Promise<FileRedactor> {
    const { pipeline } = this;
    const classes = [...pipeline.classes] as ObjectClass[];
    this.redactor ??= createFileRedactor({
      detector: this.detector ?? (pipeline.offlineProfile === 'none' ? { kind: 'none' } : { kind: 'profile', profile: pipeline.offlineProfile, modelsDir: pipeline.modelsDir, classes }),
      settings: pipeline,
      style: pipeline.redactionStyle,
      classes,
      logger: this.logger,
    });
    const current = this.redactor;
    current.catch(() => {
      if (this.redactor === current) this.redactor = undefined;
    });
    return current;
  }

  async close(): Promise<void> {
    const redactor = this.redactor;
    this.redactor = undefined;
    if (redactor) await (await redactor).close();
  }
}
