import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onStopSignals, REPEAT_WINDOW_MS } from '../../src/cli/stop-signals.js';
import { createLogger } from '../../src/shared/logger.js';
import { freePort } from '../cameras/rtsp-harness.js';
import { tempDir } from '../pipeline/helpers.js';

const logger = createLogger({ level: 'silent' });

describe('stop signals', () => {
  let removeListeners: (() => void) | undefined;
  afterEach(() => {
    removeListeners?.();
    vi.restoreAllMocks();
  });

  it('stops once for a signal repeated within the window and exits at once when it comes again later', () => {
    let now = 1_000;
    const stops: string[] = [];
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    removeListeners = onStopSignals((signal) => stops.push(signal), logger, () => now);
    process.emit('SIGUSR2', 'SIGUSR2');
    now += 20;
    process.emit('SIGUSR2', 'SIGUSR2');
    now += REPEAT_WINDOW_MS / 2;
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(stops).toEqual(['SIGUSR2']);
    expect(exit).not.toHaveBeenCalled();
    now += REPEAT_WINDOW_MS;
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('Ctrl-C on `npm start` (SIGINT to the whole process group) stops the gateway cleanly: every segment gets its sidecar', async () => {
    const dataDir = tempDir();
    const env = { ...process.env, PGW_DATA_DIR: dataDir, PGW_HTTP_HOST: '127.0.0.1', PGW_HTTP_PORT: String(await freePort()) };
    // detached: a process group of its own, as a terminal's foreground job.
    const npm = spawn('npm', ['start'], { cwd: process.cwd(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => npm.on('close', () => resolve()));
    const spool = join(dataDir, 'spool', 'demo');
    const segments = (ext: string) => (existsSync(spool) ? readdirSync(spool).filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length)) : []);
    try {
      const deadline = Date.now() + 60_000;
      while (segments('.json').length === 0 && npm.exitCode === null && npm.signalCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(segments('.json').length, output).toBeGreaterThan(0);
      process.kill(-(npm.pid as number), 'SIGINT');
      await exited;
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) process.kill(-(npm.pid as number), 'SIGKILL');
    }
    expect(output.match(/"msg":"stopping"/g)).toHaveLength(1);
    expect(output).not.toMatch(/exiting/);
    expect(segments('.mp4').length).toBeGreaterThan(1);
    expect(segments('.json').sort()).toEqual(segments('.mp4').sort());
  }, 90_000);
});
