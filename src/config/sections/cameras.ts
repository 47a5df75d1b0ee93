import { z } from 'zod';

/** Camera ids everywhere (config, API paths and bodies, holds, access requests). */
export const CAMERA_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
import { detectorProfile, redactionStyle } from './pipeline.js';

/** Shortest justification accepted for recording audio (requirement A5): a reason, not a checkbox. */
export const MIN_AUDIO_JUSTIFICATION = 20;

/** Source of a device that only uploads clips (body-worn cameras). */
export const UPLOAD_SOURCE = 'upload';

const point = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

export const cameraSchema = z
  .strictObject({
    id: z.string().regex(CAMERA_ID_PATTERN).describe('Camera id: lower-case letters, digits, `-` and `_`.'),
    kind: z.enum(['stationary', 'bodyworn']).default('stationary').describe('Stationary camera or body-worn device.'),
    source: z
      .string().min(1).max(2048).default(UPLOAD_SOURCE)
      .describe("Stream: `rtsp://…` (pulled over TCP), a file path (looped in real time), `testsrc[:WxH@FPS]` (built-in test pattern) or `upload` (no live stream: clips arrive through POST /v1/uploads)."),
    profile: detectorProfile.default('live').describe("Detection profile: 'live', 'thorough' or 'none'."),
    redactionStyle: redactionStyle.default('pixelate').describe('Region redaction style of this camera.'),
    masks: z
      .array(z.array(point).min(3).max(64)).max(32).default([])
      .describe('Static privacy masks (A6): polygons of [x, y] points as fractions of width and height, blacked out on every frame before anything else.'),
    retentionClass: z.string().min(1).max(64).default('standard').describe('Retention class of this camera’s segments.'),
    audio: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Keep the audio track in originals (A5); off by default.'),
        justification: z.string().max(1000).default('').describe('Why audio is needed; required when audio is enabled.'),
      })
      .prefault({})
      .refine((audio) => !audio.enabled || audio.justification.trim().length >= MIN_AUDIO_JUSTIFICATION, {
        message: `enabling audio needs a justification of at least ${MIN_AUDIO_JUSTIFICATION} characters`,
        path: ['justification'],
      })
      .describe('Audio policy (A5).'),
    enabled: z.boolean().default(true).describe('A disabled camera is registered but not streamed.'),
  })
  .describe('One camera.');

export type CameraConfig = z.infer<typeof cameraSchema>;
export type CameraInput = z.input<typeof cameraSchema>;

export const camerasSection = z
  .strictObject({
    devices: z.array(cameraSchema).max(64).default([]).describe('Cameras defined in configuration (read-only through the API).'),
    stallMs: z.number().int().min(1000).max(120_000).default(5000).describe('A camera that delivers no frame for this long is restarted.'),
    reconnectMinMs: z.number().int().min(50).max(60_000).default(1000).describe('First reconnect delay; doubles per failed attempt, with jitter.'),
    reconnectMaxMs: z.number().int().min(100).max(600_000).default(30_000).describe('Longest reconnect delay.'),
    stableMs: z.number().int().min(1000).max(600_000).default(30_000).describe('A camera streaming this long resets its backoff.'),
    rtspTimeoutMs: z.number().int().min(500).max(60_000).default(5000).describe('RTSP socket timeout (connect and read).'),
    previewFps: z.number().int().min(0).max(10).default(2).describe('Frames per second of the redacted MJPEG preview (0: no preview).'),
    uploadMaxBytes: z.number().int().min(1024).max(64 * 1024 ** 3).default(2 * 1024 ** 3).describe('Largest body-worn upload accepted, in bytes.'),
    uploadMaxPixels: z
      .number()
      .int()
      .min(64 * 64)
      .max(16384 * 16384)
      .default(4096 * 2160)
      .describe('Largest frame (width × height) of a body-worn upload accepted; memory grows with it (default 4K: 4096 × 2160).'),
    streamMaxPixels: z
      .number()
      .int()
      .min(64 * 64)
      .max(16384 * 16384)
      .default(4096 * 2160)
      .describe(
        'Largest frame (width × height) of a live camera; a larger stream is refused (the camera shows the error and is retried with backoff). Memory grows with it: the look-ahead buffer holds about one second of frames (default 4K: 4096 × 2160).',
      ),
    uploadRetryMinMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(60_000)
      .describe(
        'An upload job that the box could not finish (its redacted output or its original could not be written: a full disk, a refused vault) keeps its clip and runs again after this delay; the delay doubles per failed run of the same job (with jitter), up to uploadRetryMaxMs. A restart also runs it.',
      ),
    uploadRetryMaxMs: z.number().int().min(100).max(86_400_000).default(1_800_000).describe('Longest delay before an upload job the box could not finish runs again.'),
    uploadMaxAgeHours: z
      .number()
      .positive()
      .max(87_600)
      .default(720)
      .describe(
        'Oldest recording time an upload may claim, in hours before it arrives. A `recordedAt` older than this is refused; an older creation time in the clip is taken for a reset device clock and ignored (the upload time is used).',
      ),
  })
  .prefault({})
  .describe('Live cameras: registry, reconnect and stall supervision, uploads.');

export type CamerasConfig = z.infer<typeof camerasSection>;
