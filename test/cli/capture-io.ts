import { PassThrough } from 'node:stream';

/** Streams for `runCli` whose written text the test reads back. */
export function captureIo() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (chunk: Buffer) => (text.out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (text.err += chunk.toString()));
  return { io: { stdout, stderr }, text };
}
