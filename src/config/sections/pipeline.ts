import { z } from 'zod';

export const redactionStyle = z.enum(['pixelate', 'blur', 'fill']);
export const redactionClass = z.enum(['face', 'plate']);

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
  })
  .prefault({})
  .describe('Frame loop: look-ahead, fail-closed and analysis schedule.');
