import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { environmentVariables } from '../../src/config/load.js';
import { execForm, parseDockerfile, stageEnv, type Stage } from './dockerfile.js';
import { ROOT, readRepoFile, repoPath } from './deploy-tools.js';

const dockerfile = parseDockerfile(readRepoFile('deploy/docker/Dockerfile'));
const runtime = dockerfile.stages.at(-1) as Stage;
const deps = dockerfile.stages[0] as Stage;
const argsOf = (stage: Stage, keyword: string): string[] => stage.instructions.filter((entry) => entry.keyword === keyword).map((entry) => entry.args);
const imageEnv = stageEnv(runtime);
const healthcheck = execForm(argsOf(runtime, 'HEALTHCHECK')[0]?.replace(/^(--\S+\s+)*CMD\s+/, '') ?? '[]');
const entrypoint = execForm(argsOf(runtime, 'ENTRYPOINT')[0] ?? '[]');
const command = execForm(argsOf(runtime, 'CMD')[0] ?? '[]');

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the image's HEALTHCHECK command as the image would, with the given environment. */
function runHealthcheck(env: Record<string, string>): Promise<number> {
  const [program = '', ...args] = healthcheck;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Dockerfile', () => {
  it('is multi-stage: a dependency stage and a Debian-slim Node 20 runtime', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime.from).toMatch(/^node:20(\.\d+)*-(bookworm|trixie)-slim$/);
    expect(argsOf(runtime, 'COPY').some((args) => args.startsWith('--from=deps '))).toBe(true);
  });

  it('installs production dependencies with npm ci, respecting onnxruntime-node-install=skip', () => {
    const copies = argsOf(deps, 'COPY').join(' ');
    expect(copies).toContain('.npmrc');
    expect(readRepoFile('.npmrc')).toMatch(/^onnxruntime-node-install=skip$/m);
    expect(stageEnv(deps).get('ONNXRUNTIME_NODE_INSTALL')).toBe('skip');
    const install = argsOf(deps, 'RUN').find((args) => args.includes('npm ci'));
    expect(install).toContain('--omit=dev');
    const order = deps.instructions.map((entry) => entry.keyword + ' ' + entry.args);
    expect(order.findIndex((line) => line.includes('.npmrc'))).toBeLessThan(order.findIndex((line) => line.includes('npm ci')));
  });

  it('runtime has Debian ffmpeg, a non-root user, the data volume and a health check on /healthz', () => {
    expect(argsOf(runtime, 'RUN').join(' ')).toMatch(/apt-get install[^&]*\bffmpeg\b/);
    const user = argsOf(runtime, 'USER').at(-1) ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(argsOf(runtime, 'VOLUME').join(' ')).toContain(imageEnv.get('PGW_DATA_DIR'));
    expect(argsOf(runtime, 'EXPOSE')).toEqual([imageEnv.get('PGW_HTTP_PORT')]);
    expect(healthcheck).toEqual(['node', 'deploy/docker/healthcheck.js']);
    expect(readRepoFile('deploy/docker/healthcheck.js')).toContain('/healthz');
  });

  it('sets only PGW_* variables that the config loader knows', () => {
    const known = environmentVariables();
    const pgw = [...imageEnv.keys()].filter((name) => name.startsWith('PGW_'));
    expect(pgw.length).toBeGreaterThan(0);
    for (const name of pgw) expect(known.has(name), `${name} is not a config key`).toBe(true);
  });

  it('sends only what the image needs as build context, and everything it needs exists', () => {
    const ignore = readRepoFile('deploy/docker/Dockerfile.dockerignore').split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const included = ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
    expect(included).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', '.npmrc', 'src/', 'config/', 'deploy/docker/healthcheck.js']));
    for (const path of included.filter((entry) => entry !== 'models/')) expect(existsSync(repoPath(path)), path).toBe(true);
    expect(entrypoint.slice(0, 2)).toEqual(['tini', '--']);
    expect(existsSync(repoPath(entrypoint.at(-1) as string))).toBe(true);
  });
});

describe('the image command and its health check, run from the repository', () => {
  it('start with the image environment answers /healthz; the HEALTHCHECK passes, then fails once stopped', async () => {
    const port = await freePort();
    const env = {
      ...Object.fromEntries(imageEnv),
      PGW_DATA_DIR: mkdtempSync(join(tmpdir(), 'pgw-image-data-')),
      // The image listens on 0.0.0.0 inside its network namespace; here the same run stays on loopback.
      PGW_HTTP_HOST: '127.0.0.1',
      PGW_HTTP_PORT: String(port),
    };
    // tini (PID 1 in the image) only forwards signals; the gateway command after `--` is run as is.
    const [program = '', ...args] = [...entrypoint.slice(2), ...command];
    const gateway = spawn(program, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    gateway.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    gateway.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => gateway.on('exit', (code) => resolve(code)));
    cleanups.push(() => {
      if (gateway.exitCode === null) gateway.kill('SIGKILL');
    });

    // The image's start period is 60 s; on the 2-core CI machine start-up takes a few seconds.
    const deadline = Date.now() + 45_000;
    let healthy = false;
    while (!healthy && gateway.exitCode === null && Date.now() < deadline) {
      healthy = (await runHealthcheck(env)) === 0;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(healthy, `gateway did not become healthy:\n${output}`).toBe(true);

    gateway.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    expect(await runHealthcheck(env)).toBe(1);
  });

  it('the health check fails on a non-200 answer and on a wildcard host checks loopback', async () => {
    let status = 503;
    const server = createServer((request, response) => {
      response.statusCode = request.url === '/healthz' ? status : 404;
      response.end();
    });
    const port = await listen(server);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    expect(await runHealthcheck({ PGW_HTTP_HOST: '0.0.0.0', PGW_HTTP_PORT: String(port) })).toBe(1);
    status = 200;
    expect(await runHealthcheck({ PGW_HTTP_HOST: '0.0.0.0', PGW_HTTP_PORT: String(port) })).toBe(0);
    expect(await runHealthcheck({ PGW_HTTP_HOST: '127.0.0.1', PGW_HTTP_PORT: String(port) })).toBe(0);
  });
});

describe('the image installs production dependencies only (npm ci --omit=dev)', () => {
  it('every package that src/ imports at run time is a production dependency', () => {
    const pkg = JSON.parse(readRepoFile('package.json')) as { dependencies: Record<string, string> };
    const files = readdirSync(repoPath('src'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const missing = new Set<string>();
    for (const file of files) {
      const text = readRepoFile('src', file);
      const specifiers = [...text.matchAll(/^import (?!type )[^;]*?from '([^']+)'|import\('([^']+)'\)/gm)].map((match) => match[1] ?? match[2]!);
      for (const specifier of specifiers.filter((name) => !name.startsWith('.') && !name.startsWith('node:'))) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!(name in pkg.dependencies) && !builtinModules.includes(name)) missing.add(`${name} (src/${file})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
