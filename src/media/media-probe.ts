import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp from 'sharp';
import { GatewayError } from '../shared/errors.js';
import { decryptedHead, mediaInput, type FileKey } from './encrypted-file.js';
import type { MediaTools } from './media-tools.js';

export interface MediaInfo {
  readonly kind: 'image' | 'video';
  readonly width: number;
  readonly height: number;
  /** Frame rate as an ffmpeg rational (`25/1`, `30000/1001`); `1/1` for images. */
  readonly rate: string;
  readonly fps: number;
  /** Average and nominal rates differ: the frame loop resamples to the average rate to keep the duration. */
  readonly variableRate: boolean;
  readonly durationMs?: number;
  /** Frames the container announces (or duration × rate); used to recognise truncated input. */
  readonly expectedFrames?: number;
  /** Pixel aspect ratio (`num/den`) of non-square-pixel video; absent when pixels are square. */
  readonly pixelAspect?: string;
  /** ffmpeg filters that turn a JPEG's stored pixels upright by its EXIF orientation (decoded without autorotation). */
  readonly upright?: string;
  /** When the recording started, by the container's own `creation_time` (as the recording device's clock set it). */
  readonly createdAtMs?: number;
}

interface ProbeStream extends Partial<OrientedStream> {
  codec_type?: string;
  codec_name?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; tags?: { creation_time?: string } };
}

const SUPPORTED_IMAGE_CODECS = new Set(['mjpeg', 'png']);
const IMAGE_FORMATS = /(^|,)(image2|[a-z0-9]+_pipe)(,|$)/;

function invalid(path: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('PGW_ERR_INPUT_INVALID', `${basename(path)}: ${reason}`, { path, reason }, { cause });
}

export function parseRate(rational: string | undefined): number {
  if (rational === undefined) return 0;
  const [num, den] = rational.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return 0;
  if (den === undefined) return num;
  return den > 0 ? num / den : 0;
}

/** One line from ffprobe's complaint; an MP4 header without its index means the file was cut short. */
export function probeFailureReason(stderr: string, fallback: string, startsLikeMp4: boolean): string {
  if (startsLikeMp4 && /moov atom not found/i.test(stderr)) return 'truncated or incomplete video (moov atom not found)';
  const last = stderr.trim().split('\n').pop()?.replace(/^\[[^\]]*\]\s*/, '').replace(/^.*?: /, '');
  return `not a readable image or video (${last !== undefined && last !== '' ? last : fallback})`;
}

function startsWithFtyp(path: string, fileKey: FileKey | undefined): boolean {
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  const plain = fileKey ? decryptedHead(head, fileKey) : head;
  return plain.subarray(4, 8).toString('latin1') === 'ftyp';
}

function runProbe(tools: MediaTools, path: string, fileKey: FileKey | undefined): Promise<ProbeOutput> {
  const input = mediaInput(path, fileKey);
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...input.options, input.url];
  return new Promise((resolve, reject) => {
    execFile(tools.ffprobe, args, { maxBuffer: 4 * 1024 * 1024, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(invalid(path, probeFailureReason(stderr, error.message, startsWithFtyp(path, fileKey)), error));
        return;
      }
      resolve(JSON.parse(stdout) as ProbeOutput);
    });
  });
}

/** Checks the file exists and is not empty, before ffprobe, so the error names the real reason. */
async function checkFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new GatewayError('PGW_ERR_INPUT_NOT_FOUND', `${basename(path)}: file not found`, { path });
    throw invalid(path, `cannot read file (${error.code ?? error.message})`, error);
  });
  if (!info.isFile()) throw invalid(path, 'not a regular file');
  if (info.size === 0) throw invalid(path, 'file is empty (0 bytes)');
}

/** What ffprobe says of a stream's size, orientation and pixel shape. */
export interface OrientedStream {
  readonly width: number;
  readonly height: number;
  readonly side_data_list?: readonly { rotation?: number }[];
  readonly tags?: { rotate?: string; creation_time?: string };
  readonly sample_aspect_ratio?: string;
}

/** The frames ffmpeg decodes from a stream: their size and, when pixels are not square, their aspect (`num/den`). */
export interface DecodedGeometry {
  readonly width: number;
  readonly height: number;
  readonly pixelAspect?: string;
}

/**
 * A stream with a display matrix (phones and body-worn cameras held sideways) is turned upright on decode
 * (ffmpeg's autorotate), so a quarter turn swaps its sides and inverts its pixel aspect. Raw frames carry no
 * aspect, so the encoder must be told a non-square one (anamorphic PAL/NTSC video), or the picture is stretched.
 */
export function decodedGeometry(stream: OrientedStream): DecodedGeometry {
  const rotation = stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? Number(stream.tags?.rotate ?? 0);
  const quarterTurns = Math.round(Math.abs(rotation) / 90);
  const turned = Math.abs(Math.abs(rotation) - quarterTurns * 90) < 1 && quarterTurns % 2 === 1;
  const [num, den] = (stream.sample_aspect_ratio ?? '').split(':').map(Number);
  const square = !num || !den || !Number.isInteger(num) || !Number.isInteger(den) || num === den;
  const pixelAspect = square ? undefined : turned ? `${den}/${num}` : `${num}/${den}`;
  return turned ? { width: stream.height, height: stream.width, pixelAspect } : { width: stream.width, height: stream.height, pixelAspect };
}

/**
 * EXIF orientation → the ffmpeg filters that display the stored pixels upright, and whether they swap the sides.
 * Phones store portrait photos sideways with orientation 6 or 8; left sideways, their faces lie on their side,
 * where face detectors miss them.
 */
const EXIF_UPRIGHT: Readonly<Record<number, { filters: string; swaps: boolean }>> = {
  2: { filters: 'hflip', swaps: false },
  3: { filters: 'hflip,vflip', swaps: false },
  4: { filters: 'vflip', swaps: false },
  5: { filters: 'transpose=cclock_flip', swaps: true },
  6: { filters: 'transpose=clock', swaps: true },
  7: { filters: 'transpose=clock_flip', swaps: true },
  8: { filters: 'transpose=cclock', swaps: true },
};

/** The EXIF orientation of a JPEG from its header (1 when it has none or the header cannot be read). */
async function exifOrientation(path: string): Promise<number> {
  try {
    return (await sharp(path).metadata()).orientation ?? 1;
  } catch {
    return 1;
  }
}

/**
 * A JPEG is always decoded without ffmpeg's autorotation and turned by its EXIF orientation here (`null`, the
 * identity filter, when it is upright), so the probed size and the decoded size agree whatever ffmpeg does.
 */
async function imageInfo(path: string, video: ProbeStream & { width: number; height: number }): Promise<MediaInfo> {
  const codec = video.codec_name ?? 'unknown';
  if (!SUPPORTED_IMAGE_CODECS.has(codec)) throw invalid(path, `unsupported image format '${codec}' (supported: JPEG, PNG)`);
  const upright = codec === 'mjpeg' ? (EXIF_UPRIGHT[await exifOrientation(path)] ?? { filters: 'null', swaps: false }) : undefined;
  const size = upright?.swaps ? { width: video.height, height: video.width } : { width: video.width, height: video.height };
  return { kind: 'image', ...size, rate: '1/1', fps: 1, variableRate: false, expectedFrames: 1, ...(upright ? { upright: upright.filters } : {}) };
}

function videoTiming(video: ProbeStream, formatDuration: string | undefined) {
  const nominal = parseRate(video.r_frame_rate);
  const average = parseRate(video.avg_frame_rate);
  const variableRate = average > 0 && nominal > 0 && Math.abs(nominal - average) / average > 0.01;
  const rate = variableRate || nominal <= 0 ? (video.avg_frame_rate ?? '25/1') : (video.r_frame_rate ?? '25/1');
  const fps = parseRate(rate) || 25;
  const seconds = Number(video.duration ?? formatDuration);
  const durationMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  const announced = Number(video.nb_frames);
  const expectedFrames = Number.isFinite(announced) && announced > 0 ? announced : durationMs === undefined ? undefined : Math.round((durationMs / 1000) * fps);
  return { rate: fps === parseRate(rate) ? rate : '25/1', fps, variableRate, durationMs, expectedFrames };
}

/** The container's creation time (else the video stream's): an ISO 8601 instant, as MP4 and QuickTime store it. */
function creationTime(probe: ProbeOutput, video: ProbeStream): { createdAtMs?: number } {
  const stated = probe.format?.tags?.creation_time ?? video.tags?.creation_time;
  const ms = stated === undefined ? Number.NaN : Date.parse(stated);
  return Number.isFinite(ms) ? { createdAtMs: ms } : {};
}

/**
 * What the frame loop needs to know about an input, or a one-line reason why it cannot be processed. `fileKey`:
 * the file is encrypted at rest (see encrypted-file.ts) and is probed through ffprobe's decryption.
 */
export async function probeMedia(tools: MediaTools, path: string, fileKey?: FileKey): Promise<MediaInfo> {
  await checkFile(path);
  const probe = await runProbe(tools, path, fileKey);
  // The decoder maps `0:V:0`: the first video stream that is not an attached picture (an audio file's cover art).
  const videos = probe.streams?.filter((stream) => stream.codec_type === 'video') ?? [];
  const video = videos.find((stream) => stream.disposition?.attached_pic !== 1);
  if (!video && videos.length > 0) throw invalid(path, 'contains no video stream (only an attached cover picture)');
  if (!video || !video.width || !video.height) throw invalid(path, 'contains no video stream or image');
  const stream = { ...video, width: video.width, height: video.height };
  if (IMAGE_FORMATS.test(probe.format?.format_name ?? '') || video.codec_name === 'gif') return imageInfo(path, stream);
  return { kind: 'video', ...decodedGeometry(stream), ...videoTiming(video, probe.format?.duration), ...creationTime(probe, video) };
}
