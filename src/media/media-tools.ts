import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { GatewayError } from '../shared/errors.js';

/** Paths of the ffmpeg and ffprobe binaries the gateway runs, and what the chosen ffmpeg supports. */
export interface MediaTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** ffmpeg major version; below 5 the per-output `-fps_mode` option is spelled `-vsync`. */
  readonly ffmpegMajor: number;
}

const require = createRequire(import.meta.url);

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function npmBinary(packageName: string): string | undefined {
  try {
    return (require(packageName) as { path: string }).path;
  } catch (error) {
    // The npm binaries are optional: a machine with a system ffmpeg does not need them.
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * A system ffmpeg (explicit `FFMPEG_PATH`, else one on PATH) is preferred: Debian's build is 2–4× faster
 * than the static npm binary, which stays as the fresh-machine fallback.
 */
function resolveBinary(name: 'ffmpeg' | 'ffprobe', env: NodeJS.ProcessEnv): string {
  const explicit = env[name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'];
  if (explicit !== undefined && explicit !== '') {
    if (!existsSync(explicit)) {
      throw new GatewayError('PGW_ERR_FFMPEG_NOT_FOUND', `${name} not found at ${explicit} (set by ${name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'})`, { path: explicit });
    }
    return explicit;
  }
  const found = onPath(name, env) ?? npmBinary(name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe');
  if (found === undefined) {
    throw new GatewayError('PGW_ERR_FFMPEG_NOT_FOUND', `${name} not found: install ffmpeg (apt-get install ffmpeg) or set ${name.toUpperCase()}_PATH`);
  }
  return found;
}

function majorVersion(ffmpeg: string): number {
  const banner = execFileSync(ffmpeg, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  const match = /version\s+n?(\d+)\./.exec(banner);
  return match?.[1] === undefined ? 4 : Number(match[1]);
}

let cached: MediaTools | undefined;

/** Resolves the binaries once per process (the environment does not change while running). */
export function mediaTools(env: NodeJS.ProcessEnv = process.env): MediaTools {
  if (cached && env === process.env) return cached;
  const ffmpeg = resolveBinary('ffmpeg', env);
  const tools = { ffmpeg, ffprobe: resolveBinary('ffprobe', env), ffmpegMajor: majorVersion(ffmpeg) };
  if (env === process.env) cached = tools;
  return tools;
}
