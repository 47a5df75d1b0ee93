import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { mediaTools } from '../media/media-tools.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort } from '../shared/ports.js';
import { DetectorHost } from '../vision/detector-host.js';
import { LivePipeline, type LiveSource } from './live-pipeline.js';

/** The built-in demo camera: an ffmpeg test pattern at 720p25, paced in real time like a camera. */
export const DEMO_CAMERA_SOURCE: LiveSource = {
  input: 'testsrc2=s=1280x720:r=25',
  inputFormat: 'lavfi',
  realtime: true,
  width: 1280,
  height: 720,
  rate: '25/1',
  fps: 25,
};

export interface DemoCamera {
  /** Where its redacted segments go. */
  readonly outputDir: string;
  stop(): Promise<void>;
}

/** Starts the demo camera through the live loop with the live detector profile; segments go to `dataDir/spool/demo`. */
export async function startDemoCamera(config: Readonly<Config>, logger: Logger, clock: Clock, audit?: AuditPort): Promise<DemoCamera> {
  const { pipeline } = config;
  const outputDir = join(config.dataDir, 'spool', 'demo');
  const detector =
    pipeline.liveProfile === 'none'
      ? null
      : new DetectorHost({
          spec: { kind: 'profile', profile: pipeline.liveProfile, modelsDir: pipeline.modelsDir, classes: [...pipeline.classes] },
          clock,
          logger,
          detectTimeoutMs: pipeline.detectTimeoutMs,
          initTimeoutMs: 120_000,
          maxRestarts: pipeline.detectorMaxRestarts,
          restartWindowMs: pipeline.detectorRestartWindowMs,
        });
  await detector?.start();
  const camera = new LivePipeline({
    cameraId: 'demo',
    source: DEMO_CAMERA_SOURCE,
    outputDir,
    detector,
    settings: pipeline,
    style: pipeline.redactionStyle,
    classes: pipeline.classes,
    tools: mediaTools(),
    logger,
    ...(audit ? { audit: { port: audit, clock } } : {}),
  });
  try {
    await camera.start();
  } catch (error) {
    await detector?.close();
    throw error;
  }
  return {
    outputDir,
    stop: async () => {
      await camera.stop();
      await detector?.close();
    },
  };
}
