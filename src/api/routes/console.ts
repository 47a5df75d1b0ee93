import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * Where the console's static files are: `src/web` beside the sources (tsx, tests) or, for the compiled
 * build in `dist/src`, the `src/web` the package ships next to it. Undefined when neither is present.
 */
export function findConsoleRoot(): string | undefined {
  const candidates = [new URL('../../web/', import.meta.url), new URL('../../../../src/web/', import.meta.url)];
  return candidates.map((url) => fileURLToPath(url)).find((dir) => existsSync(`${dir}index.html`));
}

/** The operator console: plain ES modules, HTML and CSS under `/console/`; `/` redirects there. */
export const consoleRoutes: FastifyPluginAsync<{ root: string }> = async (app, { root }) => {
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    redirect: true,
    index: 'index.html',
    decorateReply: false,
    maxAge: 0,
    schemaHide: true,
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
};
