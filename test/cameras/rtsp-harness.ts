import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve('test/pipeline/fixtures/rtsp-server.py');

/** A live H.264 test pattern (1 s GOP) for a mount; `pattern` tells cameras apart. */
export function testPattern(width: number, height: number, pattern = 'ball', fps = 25): string {
  return `videotestsrc is-live=true pattern=${pattern} ! video/x-raw,width=${width},height=${height},framerate=${fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${fps} ! rtph264pay name=pay0 pt=96`;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Debian's GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) serving test patterns over TCP.
 * Missing packages fail the test with the list of what to install; nothing is skipped.
 */
export class RtspTestServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly mounts: Record<string, string>) {}

  static async start(mounts: Record<string, string>): Promise<RtspTestServer> {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install python3, python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-{base,good,ugly}`);
    const server = new RtspTestServer(await freePort(), mounts);
    await server.restart();
    return server;
  }

  /** The server process (it encodes the test patterns: CPU that a real camera spends, not the gateway). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  url(mount: string): string {
    return `rtsp://127.0.0.1:${this.port}${mount}`;
  }

  /** (Re)starts the server process on the same port and waits until it accepts connections. */
  async restart(): Promise<void> {
    const args = [SCRIPT, String(this.port), ...Object.entries(this.mounts).map(([mount, launch]) => `${mount}=${launch}`)];
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-2000);
    });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`RTSP test server did not start: ${errors}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('READY')) {
          clearTimeout(timer);
          done();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`RTSP test server exited (${code}): ${errors || 'is gir1.2-gst-rtsp-server-1.0 installed?'}`));
      });
    });
  }

  /** Kills the server (every camera on it loses its connection). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the server: connections stay open but no packet flows (a stalled camera). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    this.resume();
    await this.kill();
  }
}
