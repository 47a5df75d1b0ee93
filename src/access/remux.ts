import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GatewayError } from '../shared/errors.js';

/** The system ffmpeg when present (Debian), else the npm-provided static binary. */
export function resolveFfmpegPath(): string {
  if (existsSync('/usr/bin/ffmpeg')) return '/usr/bin/ffmpeg';
  const require = createRequire(import.meta.url);
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

/**
 * Remuxes one decrypted original (fragmented MP4 in memory) to MPEG-TS without re-encoding, through
 * pipes only: the plaintext goes to ffmpeg's stdin and comes back on stdout, never to a file.
 * MPEG-TS pieces concatenate into one playable stream, and timestamps are kept (`-copyts`).
 */
export async function* remuxToMpegTs(ffmpegPath: string, original: Buffer): AsyncGenerator<Buffer> {
  const child = spawn(
    ffmpegPath,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', 'pipe:0', '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-copyts', '-f', 'mpegts', 'pipe:1'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
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
  child.stdin.end(original);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) throw new GatewayError('PGW_ERR_FFMPEG', `remux of an original failed (exit ${code ?? 'signal'})`, { stderr: stderr.trim() });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
