import { spawn } from 'node:child_process';
import { GatewayError } from '../shared/errors.js';

/**
 * Runs ffmpeg or ffprobe with `input` on stdin (and an optional second input on fd 3) and yields its stdout;
 * plaintext only ever travels through pipes. Throws PGW_ERR_FFMPEG with the end of stderr on failure.
 */
export async function* piped(binary: string, args: string[], input: Buffer, extra?: Buffer): AsyncGenerator<Buffer> {
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe', ...(extra ? (['pipe'] as const) : [])] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  child.stdin.on('error', (error) => {
    stderr += ` (stdin: ${error.message})`;
  });
  child.stdin.end(input);
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
 * Remuxes one decrypted original (fragmented MP4 in memory) to MPEG-TS without re-encoding, through
 * pipes only: the plaintext goes to ffmpeg's stdin and comes back on stdout, never to a file.
 * MPEG-TS pieces concatenate into one playable stream, and timestamps are kept (`-copyts`).
 */
export function remuxToMpegTs(ffmpegPath: string, original: Buffer): AsyncGenerator<Buffer> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', 'pipe:0', '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-copyts', '-f', 'mpegts', 'pipe:1'];
  return piped(ffmpegPath, args, original);
}
