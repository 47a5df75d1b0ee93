// Container health check: GET /healthz on the gateway's own HTTP port; exit 0 only on 200.
// Reads the same PGW_HTTP_HOST / PGW_HTTP_PORT the gateway reads; a wildcard listen address is
// checked on loopback.
/* global fetch, AbortSignal */
import process from 'node:process';

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);
const TIMEOUT_MS = 4000;

const host = process.env.PGW_HTTP_HOST ?? '';
const port = Number(process.env.PGW_HTTP_PORT ?? '8080');
const target = WILDCARDS.has(host) ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
const url = `http://${target}:${port}/healthz`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status !== 200) process.stderr.write(`health check: ${url} answered ${response.status}\n`);
  process.exitCode = response.status === 200 ? 0 : 1;
} catch (error) {
  process.stderr.write(`health check: ${url} unreachable: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
