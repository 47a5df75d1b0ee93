import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServer, type ApiDependencies } from '../src/api/server.js';
import { GatewayError } from '../src/shared/errors.js';
import { silentLogger } from '../src/shared/logger.js';

/**
 * Writes the OpenAPI description of every route the API can serve to deploy/docs/openapi.json:
 *   npm run docs:api             writes it
 *   npm run docs:api -- --check  exits 1 when the committed file is stale (what the drift test checks)
 * Routes are registered only for the services present in ApiDependencies, so every optional service
 * is supplied as a stand-in that fails if it is ever called: registering a route needs the service
 * object, describing it needs nothing else.
 */

const ROOT = resolve(import.meta.dirname, '..');
export const OPENAPI_FILE = resolve(ROOT, 'deploy/docs/openapi.json');

function standIn(service: string): unknown {
  const fail = (member: string) => () => {
    throw new Error(`${service}.${member} was called while the API reference was generated`);
  };
  return new Proxy(fail('()'), {
    get: (_target, member) => (member === 'then' ? undefined : fail(String(member))),
    apply: (_target, _self, _args) => fail('()')(),
  });
}

/** Real required dependencies, and a stand-in for every optional service the server asks for. */
function describingDependencies(): ApiDependencies {
  const required: Partial<ApiDependencies> = {
    logger: silentLogger(),
    authenticator: { authenticate: () => Promise.reject(new GatewayError('PGW_ERR_UNAUTHORIZED', 'no authentication while describing the API')) },
    health: { live: () => true, notReady: () => [] },
  };
  return new Proxy(required, {
    get: (target, key) => (typeof key !== 'string' || key in target ? target[key as keyof ApiDependencies] : standIn(key)),
    has: () => true,
  }) as ApiDependencies;
}

/** The OpenAPI document as committed: pretty JSON with a trailing newline. */
export async function openApiDocument(): Promise<string> {
  const { version } = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
  const app = await buildServer(describingDependencies(), { version });
  try {
    await app.ready();
    return JSON.stringify(app.swagger(), null, 2) + '\n';
  } finally {
    await app.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const document = await openApiDocument();
  if (values.check) {
    const stale = readFileSync(OPENAPI_FILE, 'utf8') !== document;
    if (stale) process.stderr.write(`stale: ${relative(ROOT, OPENAPI_FILE)} (run npm run docs:api)\n`);
    return stale ? 1 : 0;
  }
  writeFileSync(OPENAPI_FILE, document);
  process.stdout.write(`wrote ${relative(ROOT, OPENAPI_FILE)}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) process.exitCode = await main();
