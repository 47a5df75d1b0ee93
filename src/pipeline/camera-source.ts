import { execFile } from 'node:child_process';
import { DEINTERLACE, type DecoderPlan, type FrameSize } from '../media/ffmpeg-args.js';
import { decodedGeometry, parseRate, type OrientedStream } from '../media/media-probe.js';
import type { MediaTools } from '../media/media-tools.js';
import { GatewayError } from '../shared/errors.js';
import { scrubUrlCredentials } from '../shared/logger.js';

/** How ffmpeg opens a camera source, and whether its originals can be copied (H.264 bitstream) or must be encoded. */
export interface CameraInput {
  readonly input: string;
  readonly inputFormat?: string;
  /** Options before `-i` (transport, timeouts, pacing, looping). */
  readonly inputOptions: readonly string[];
  /** Options that also apply to ffprobe. */
  readonly probeOptions: readonly string[];
  /** The built-in test source has no bitstream: its "original" is encoded once with libx264. */
  readonly originalCodec: 'copy' | 'h264';
  /** Known without probing (test source). */
  readonly known?: { size: FrameSize; rate: string; fps: number };
}

const TESTSRC = /^testsrc(?::(\d{2,5})x(\d{2,5})(?:@(\d{1,3}))?)?$/;

/** `rtsp://…` (TCP), `testsrc[:WxH@FPS]`, or a file path (looped, at its native rate). */
export function cameraInput(source: string, rtspTimeoutMs: number): CameraInput {
  if (/^rtsps?:\/\//i.test(source)) {
    const transport = ['-rtsp_transport', 'tcp', '-timeout', String(rtspTimeoutMs * 1000)];
    // The stream was probed already: ffmpeg's own 5 s analysis would only delay the first frame (and the latency).
    return { input: source, inputOptions: [...transport, '-analyzeduration', '1000000'], probeOptions: transport, originalCodec: 'copy' };
  }
  const test = TESTSRC.exec(source);
  if (test) {
    const width = Number(test[1] ?? 640);
    const height = Number(test[2] ?? 360);
    const fps = Number(test[3] ?? 25);
    return {
      input: `testsrc2=size=${width}x${height}:rate=${fps}`,
      inputFormat: 'lavfi',
      inputOptions: ['-re'],
      probeOptions: [],
      originalCodec: 'h264',
      known: { size: { width: width & ~1, height: height & ~1 }, rate: `${fps}/1`, fps },
    };
  }
  return { input: source, inputOptions: ['-re', '-stream_loop', '-1'], probeOptions: [], originalCodec: 'copy' };
}

export interface CameraDecoderOptions {
  readonly camera: CameraInput;
  /** Keep the audio track in the originals (A5). */
  readonly audio: boolean;
}

/** The fd the original bitstream (fragmented MP4) comes out on. */
export const ORIGINALS_FD = 4;
/** ffmpeg's `showinfo` logs the first frame after each filter-graph (re)configuration: a new input size. */
export const GRAPH_START_MARK = /Parsed_showinfo.*\bn:\s*0\b.*\bs:(\d+)x(\d+)/;

function originalsOutput(options: CameraDecoderOptions): string[] {
  const codec = options.camera.originalCodec === 'copy'
    ? ['-c', 'copy']
    : ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p'];
  const audio = options.audio ? ['-map', '0:a?'] : ['-an'];
  return ['-map', '0:V:0', ...audio, '-sn', '-dn', ...codec, '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', `pipe:${ORIGINALS_FD}`];
}

/**
 * A live camera's decoder: redaction frames (yuv420p, stdout), analysis frames (rgb24, fd 3), the camera's
 * own bitstream as fragmented MP4 (fd 4) and a one-frame `showinfo` probe per graph configuration on stderr
 * (a mid-stream resolution change reconfigures the graph; the camera then restarts at the new size).
 * Frames are always scaled to the size the loop was set up for, so a change can never misalign the pipes.
 */
export function cameraDecoderArgs(plan: DecoderPlan, options: CameraDecoderOptions): string[] {
  const { camera } = options;
  const input = [...camera.inputOptions, ...(camera.inputFormat ? ['-f', camera.inputFormat] : []), '-i', camera.input];
  const common = ['-an', '-sn', '-dn', '-fps_mode', 'passthrough', '-f', 'rawvideo'];
  const { width, height } = plan.output;
  const fixed = `scale=${width}:${height},format=yuv420p`;
  const branches = plan.analysis ? 3 : 2;
  let graph = `[0:V:0]${DEINTERLACE},split=${branches}[full][probe]${plan.analysis ? '[small]' : ''};[probe]select='eq(n\\,0)',showinfo,nullsink;[full]${fixed}[yuv]`;
  if (plan.analysis) graph += `;[small]scale=${plan.analysis.width}:${plan.analysis.height}:flags=bilinear,format=rgb24[rgb]`;
  return [
    '-hide_banner', '-nostats', '-loglevel', 'info', ...input, '-filter_complex', graph,
    '-map', '[yuv]', ...common, '-pix_fmt', 'yuv420p', 'pipe:1',
    ...(plan.analysis ? ['-map', '[rgb]', ...common, '-pix_fmt', 'rgb24', 'pipe:3'] : []),
    ...originalsOutput(options),
  ];
}

interface StreamProbe {
  streams?: (Partial<OrientedStream> & { r_frame_rate?: string; avg_frame_rate?: string })[];
}

/** What the frame loop and the encoder need to know about a camera's video. */
export interface CameraInfo {
  readonly size: FrameSize;
  readonly rate: string;
  readonly fps: number;
  /** Pixel aspect ratio (`num/den`) when pixels are not square (analogue encoders: 704×576 at 12:11). */
  readonly pixelAspect?: string;
}

/** Size and rate of a camera's video, or PGW_ERR_INPUT_INVALID with ffprobe's reason (credentials removed). */
export async function probeCamera(tools: MediaTools, camera: CameraInput, timeoutMs: number): Promise<CameraInfo> {
  if (camera.known) return camera.known;
  const args = ['-v', 'error', ...camera.probeOptions, '-select_streams', 'V:0', '-show_streams', '-print_format', 'json', camera.input];
  const output = await new Promise<string>((resolve, reject) => {
    execFile(tools.ffprobe, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const reason = scrubUrlCredentials(stderr.trim().split('\n').pop() || error.message);
        reject(new GatewayError('PGW_ERR_INPUT_INVALID', `camera source unreadable (${reason})`, { source: scrubUrlCredentials(camera.input) }));
        return;
      }
      resolve(stdout);
    });
  });
  const video = (JSON.parse(output) as StreamProbe).streams?.[0];
  if (!video?.width || !video.height) {
    throw new GatewayError('PGW_ERR_INPUT_INVALID', 'camera source has no video stream', { source: scrubUrlCredentials(camera.input) });
  }
  const rate = parseRate(video.avg_frame_rate) > 0 ? (video.avg_frame_rate as string) : (video.r_frame_rate ?? '25/1');
  const fps = parseRate(rate) || 25;
  const decoded = decodedGeometry({ ...video, width: video.width, height: video.height });
  return { size: { width: decoded.width & ~1, height: decoded.height & ~1 }, rate, fps, pixelAspect: decoded.pixelAspect };
}
