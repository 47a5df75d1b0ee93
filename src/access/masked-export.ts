import type { MediaInput } from '../media/encrypted-file.js';
import type { MediaTools } from '../media/media-tools.js';
import { PrivacyMask } from '../redact/privacy-mask.js';
import { GatewayError } from '../shared/errors.js';
import type { MaskPolygon } from '../shared/types.js';
import { originalInput, piped } from './remux.js';

async function videoSize(ffprobe: string, input: MediaInput): Promise<{ width: number; height: number }> {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', ...input.options, '-i', input.url];
  let text = '';
  for await (const chunk of piped(ffprobe, args)) text += chunk.toString('utf8');
  const [width, height] = text.trim().split(',').map(Number);
  if (!width || !height) throw new GatewayError('PGW_ERR_FFMPEG', 'original has no video stream to mask', { probe: text.trim() });
  return { width, height };
}

/**
 * An original (a sealed work file, see remux.ts) re-encoded with the camera's static privacy masks blacked out
 * (A6: no role can lift them), as MPEG-TS on a pipe. The mask is rasterised by the same code as the live loop's and laid over every
 * frame; timestamps are set from the recording offset like remuxed ones (see remuxToMpegTs).
 */
export async function* maskedToMpegTs(tools: MediaTools, input: MediaInput, masks: readonly MaskPolygon[], offsetSeconds: number): AsyncGenerator<Buffer> {
  const { width, height } = await videoSize(tools.ffprobe, input);
  const overlay = new PrivacyMask(masks, width, height).rgba();
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', ...originalInput(input),
    '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-i', 'pipe:3',
    '-filter_complex', '[0:v][1:v]overlay=eof_action=repeat:format=auto,format=yuv420p[v]',
    '-map', '[v]', '-map', '0:a?', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-c:a', 'copy',
    '-output_ts_offset', offsetSeconds.toFixed(3), '-f', 'mpegts', 'pipe:1',
  ];
  yield* piped(tools.ffmpeg, args, overlay);
}
