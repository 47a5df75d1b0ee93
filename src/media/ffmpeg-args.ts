/**
 * Pure builders of ffmpeg argument vectors for the frame loop. Keeping them pure makes the exact argv
 * testable as a table and keeps process handling in one place (`ffmpeg-process.ts`).
 */

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

export interface DecoderPlan {
  readonly input: string;
  /** Options that open the input (before `-i`), e.g. the key of an input encrypted at rest. */
  readonly inputOptions?: readonly string[];
  /** Demuxer to force, e.g. `lavfi` for the demo camera's test source. */
  readonly inputFormat?: string;
  /** Read the input at its native rate (`-re`), as a live camera would deliver it. */
  readonly realtime?: boolean;
  /** Size of the full-resolution yuv420p frames on stdout. Smaller than the source only to crop odd sizes to even. */
  readonly output: FrameSize;
  /** Crop the source to `output` (x264 needs even sizes). */
  readonly crop: boolean;
  /** Resample variable-frame-rate input to this constant rate (an ffmpeg rational such as `30000/1001`). */
  readonly constantRate?: string;
  /**
   * Filters that turn the stored picture upright (a JPEG's EXIF orientation), applied before anything else and
   * instead of ffmpeg's own EXIF autorotation, which differs between ffmpeg versions.
   */
  readonly upright?: string;
  /** Size of the rgb24 analysis frames on fd 3; omitted when detection is disabled. */
  readonly analysis?: FrameSize;
  /**
   * `select` expression over the frame number: only the frames it picks are scaled and sent on fd 3 (offline jobs
   * analyse a fixed schedule; converting and piping the others is wasted work). Omitted: every frame.
   */
  readonly analysisSelect?: string;
  /** ffmpeg ≥ 5 spells per-output frame-rate handling `-fps_mode`; older builds use `-vsync`. */
  readonly ffmpegMajor: number;
}

const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
/** Decoders keep stdin open for ffmpeg's `q` command: a clean stop (for RTSP, a TEARDOWN) before any signal. */
const DECODER_QUIET = ['-hide_banner', '-loglevel', 'error'];

/**
 * Frames flagged interlaced (analogue camera encoders, broadcast footage) are deinterlaced first: combed moving
 * faces are harder to detect and the redacted output would keep the combing. Progressive frames pass untouched.
 */
export const DEINTERLACE = 'yadif=deint=interlaced';

function preFilters(plan: DecoderPlan): string[] {
  const filters: string[] = [DEINTERLACE];
  if (plan.upright !== undefined) filters.push(plan.upright);
  if (plan.constantRate !== undefined) filters.push(`fps=${plan.constantRate}`);
  if (plan.crop) filters.push(`crop=${plan.output.width}:${plan.output.height}:0:0`);
  return filters;
}

function passthrough(plan: DecoderPlan): string[] {
  return [plan.ffmpegMajor >= 5 ? '-fps_mode' : '-vsync', 'passthrough'];
}

/**
 * Decoder: full-resolution yuv420p on stdout and, when detection runs, a downscaled rgb24 copy on fd 3.
 * Both outputs come from one `split`, with frame-rate handling off, so frame i on one pipe is frame i on the other
 * (or, with `analysisSelect`, the i-th frame the expression picks).
 */
export function decoderArgs(plan: DecoderPlan): string[] {
  const input = [
    ...(plan.realtime ? ['-re'] : []), ...(plan.upright === undefined ? [] : ['-noautorotate']), ...(plan.inputFormat ? ['-f', plan.inputFormat] : []), ...(plan.inputOptions ?? []), '-i', plan.input,
  ];
  const common = ['-an', '-sn', '-dn', ...passthrough(plan), '-f', 'rawvideo'];
  const pre = preFilters(plan);
  if (plan.analysis === undefined) {
    const chain = [...pre, 'format=yuv420p'].join(',');
    return [...DECODER_QUIET, ...input, '-map', '0:V:0', '-vf', chain, ...common, '-pix_fmt', 'yuv420p', 'pipe:1'];
  }
  const head = pre.length > 0 ? `${pre.join(',')},` : '';
  const { width, height } = plan.analysis;
  const select = plan.analysisSelect === undefined ? '' : `select='${plan.analysisSelect}',`;
  const graph = `[0:V:0]${head}split=2[full][small];[full]format=yuv420p[yuv];[small]${select}scale=${width}:${height}:flags=bilinear,format=rgb24[rgb]`;
  return [
    ...DECODER_QUIET, ...input, '-filter_complex', graph,
    '-map', '[yuv]', ...common, '-pix_fmt', 'yuv420p', 'pipe:1',
    '-map', '[rgb]', ...common, '-pix_fmt', 'rgb24', 'pipe:3',
  ];
}

export type OutputKind = 'video' | 'jpeg' | 'png';

export interface EncoderPlan {
  readonly kind: OutputKind;
  readonly size: FrameSize;
  /** Frame rate of the raw input (an ffmpeg rational); only meaningful for video. */
  readonly rate: string;
  readonly output: string;
  /** Pixel aspect ratio (`num/den`) to record in the output video when pixels are not square. */
  readonly pixelAspect?: string;
  /** libx264 preset and constant rate factor (video only). */
  readonly preset: string;
  readonly crf: number;
  /** Container format to force (e.g. `mp4` when the output path has a temporary extension). */
  readonly format?: string;
  /** Live output: cut into MP4 segments of this length; `output` is then a pattern such as `seg-%06d.mp4`. */
  readonly segmentSeconds?: number;
  /** libx264 tuning; `zerolatency` drops look-ahead and B-frames (live: latency and memory before bitrate). */
  readonly tune?: 'zerolatency';
}

function containerArgs(plan: EncoderPlan): string[] {
  if (plan.segmentSeconds === undefined) return plan.format === undefined ? [] : ['-f', plan.format];
  const seconds = String(plan.segmentSeconds);
  return [
    '-force_key_frames', `expr:gte(t,n_forced*${seconds})`,
    '-f', 'segment', '-segment_time', seconds, '-segment_format', 'mp4', '-reset_timestamps', '1',
  ];
}

/**
 * Strips everything identifying (requirement A5): no audio, subtitle or data streams, no global or stream
 * metadata, no chapters, bit-exact muxing (no encoder tag), and SEI NAL units (x264's settings banner,
 * any user data) removed from the H.264 bitstream.
 */
const STRIP = ['-map_metadata', '-1', '-map_chapters', '-1', '-an', '-sn', '-dn', '-fflags', '+bitexact', '-flags:v', '+bitexact'];

export function encoderArgs(plan: EncoderPlan): string[] {
  const input = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.size.width}x${plan.size.height}`, '-r', plan.rate, '-i', 'pipe:0'];
  switch (plan.kind) {
    case 'video':
      return [
        ...QUIET, ...input, '-map', '0:v:0', ...STRIP, ...(plan.pixelAspect ? ['-vf', `setsar=${plan.pixelAspect}`] : []),
        '-c:v', 'libx264', '-preset', plan.preset, ...(plan.tune ? ['-tune', plan.tune] : []), '-crf', String(plan.crf), '-pix_fmt', 'yuv420p',
        '-bsf:v', 'filter_units=remove_types=6',
        ...containerArgs(plan), '-y', plan.output,
      ];
    case 'jpeg':
      return [...QUIET, ...input, '-map', '0:v:0', ...STRIP, '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p', '-f', 'image2', '-y', plan.output];
    case 'png':
      return [...QUIET, ...input, '-map', '0:v:0', ...STRIP, '-frames:v', '1', '-c:v', 'png', '-pix_fmt', 'rgb24', '-f', 'image2', '-y', plan.output];
  }
}

/** Bytes of one yuv420p frame; chroma planes round odd sizes up. */
export function yuv420pFrameBytes(size: FrameSize): number {
  const chroma = Math.ceil(size.width / 2) * Math.ceil(size.height / 2);
  return size.width * size.height + 2 * chroma;
}

export function rgb24FrameBytes(size: FrameSize): number {
  return size.width * size.height * 3;
}
