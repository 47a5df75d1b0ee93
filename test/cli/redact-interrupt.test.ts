import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../pipeline/helpers.js';

describe('privacy-gateway redact interrupted', () => {
  it('a SIGTERM mid-file exits 130, names the file not written and leaves no partial output', async () => {
    const dir = tempDir();
    const clip = join(dir, 'long.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=25:d=30', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
    const outDir = join(dir, 'out');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'redact', clip, '--out-dir', outDir, '--profile', 'live'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const partial = join(outDir, 'long.redacted.mp4.partial');
    const deadline = Date.now() + 60_000;
    while (!existsSync(partial) && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(partial), stderr).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(stderr).toBe('redact: interrupted by SIGTERM; long.redacted.mp4 was not written\n');
    expect(readdirSync(outDir)).toEqual([]);
  }, 90_000);
});
