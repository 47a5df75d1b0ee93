import { z } from 'zod';

export const redactionStyle = z.enum(['pixelate', 'blur', 'fill']);
export const redactionClass = z.enum(['face', 'plate']);
export const detectorProfile = z.enum(['live', 'thorough', 'none']);

export const pipelineSection = z
  .strictObject({
    lookaheadMs: z
      .number().int().min(0).max(10_000).default(1000)
      .describe('Output delay that lets a detection also redact the frames before it (look-ahead back-fill).'),
    maxDetectionAgeMs: z
      .number().int().min(40).max(10_000).default(1000)
      .describe('A live frame is only forwarded when a detection result at most this old (in stream time) covers it; otherwise the whole frame is redacted (fail closed).'),
    analysisFps: z
      .union([z.number().positive().max(120), z.literal('all')]).default(10)
      .describe("Offline jobs: analysed frames per second of video, or 'all' to analyse every frame."),
    redactionStyle: redactionStyle.default('pixelate').describe('Default region redaction: pixelate (coarse blocks), blur or solid fill.'),
    classes: z.array(redactionClass).min(1).default(['face', 'plate']).describe('Object classes that are redacted.'),
    offlineProfile: detectorProfile.default('thorough')
      .describe("Detector profile for files (`redact`, uploads): 'thorough' (best recall), 'live' (fast) or 'none' (detection disabled)."),
    liveProfile: detectorProfile.default('live').describe('Detector profile for live streams (cameras, the demo camera).'),
    modelsDir: z.string().min(1).default('./models').describe('Directory of detector model files.'),
    trackTtlMs: z
      .number().int().min(0).max(10_000).default(1000)
      .describe('How long a tracked object stays redacted after its last detection, and the longest gap bridged between detections.'),
    detectTimeoutMs: z
      .number().int().min(100).max(120_000).default(30_000)
      .describe('A detection running longer than this is a stall: its frames are fully redacted and the detector worker is restarted.'),
    detectorMaxRestarts: z
      .number().int().min(0).max(100).default(5)
      .describe('Restart budget of the detector worker: restarts allowed within detectorRestartWindowMs before it is left down (frames then stay fully redacted).'),
    detectorRestartWindowMs: z.number().int().min(1000).max(3_600_000).default(60_000).describe('Window of the detector restart budget.'),
    encoderPreset: z
      .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'])
      .default('veryfast')
      .describe('libx264 preset of redacted output (faster presets: bigger files, less CPU).'),
    encoderCrf: z.number().int().min(0).max(51).default(23).describe('libx264 constant rate factor (lower: better quality, bigger files).'),
    demoCamera: z.boolean().default(true).describe('`start` runs a built-in demo camera (ffmpeg test source) through the live loop.'),
    segmentSeconds: z.number().int().min(1).max(600).default(10).describe('Length of redacted live segments, in seconds.'),
    liveLowLatency: z
      .boolean()
      .default(true)
      .describe(
        'Encode live segments with libx264 `zerolatency` tuning: no look-ahead or B-frames, so frames reach their segment sooner and the encoder needs ≈ 180 MB less per 1080p camera, at a higher bitrate.',
      ),
  })
  .prefault({})
  .describe('Frame loop: look-ahead, fail-closed, analysis schedule, detector supervision and encoding.');

export type PipelineConfig = z.infer<typeof pipelineSection>;
