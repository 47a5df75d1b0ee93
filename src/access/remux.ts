import { spawn } from 'node:child_process';
import type { MediaInput } from '../media/encrypted-file.js';
import { GatewayError } from '../shared/errors.js';

/**
 * Runs ffmpeg or ffprobe (with an optional input on fd 3) and yields its stdout. Throws PGW_ERR_FFMPEG with the
 * end of stderr on failure.
 */
export async function* piped(binary: string, args: string[], extra?: Buffer): AsyncGenerator<Buffer> {
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe', ...(extra ? (['pipe'] as const) : [])] });
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (extra) {
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', (error: Error) => {
      stderr += ` (mask: ${error.message})`;
    });
    fd3.end(extra);
  }
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) throw new GatewayError('PGW_ERR_FFMPEG', `${binary} failed on an original (exit ${code ?? 'signal'})`, { stderr: stderr.trim() });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * Options that open an original for export: timestamps are generated where the container has none (AVI with
 * B-frames, whose remux to MPEG-TS otherwise fails with "first pts and dts value must be set").
 */
export function originalInput(input: MediaInput): string[] {
  return ['-fflags', '+genpts', ...input.options, '-i', input.url];
}

/**
 * Remuxes one original to MPEG-TS without re-encoding. It is read from a sealed work file (encrypted at rest,
 * the key in memory only), because a pipe cannot be seeked and an MP4 with its index at the end came out empty.
 * Each original's own timestamps (a camera's, or 0 for an uploaded clip) are replaced by its recording offset
 * from the export's first original (`offsetSeconds`), so the pieces concatenate into one timeline.
 */
export function remuxToMpegTs(ffmpegPath: string, input: MediaInput, offsetSeconds: number): AsyncGenerator<Buffer> {
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', ...originalInput(input), '-map', '0:v?', '-map', '0:a?', '-c', 'copy',
    '-output_ts_offset', offsetSeconds.toFixed(3), '-f', 'mpegts', 'pipe:1',
  ];
  return piped(ffmpegPath, args);
}
