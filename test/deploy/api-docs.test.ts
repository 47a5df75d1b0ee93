import { describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiDocument } from '../../scripts/gen-api-docs.js';
import { readRepoFile } from './deploy-tools.js';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
}
interface Operation {
  requestBody?: { content: Record<string, { schema: SchemaNode }> };
  responses?: Record<string, unknown>;
}
interface OpenApi {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
}

/** Object schemas in a request body that accept keys they do not name. */
function openObjects(schema: SchemaNode, at: string): string[] {
  const here = schema.type === 'object' && schema.properties && schema.additionalProperties !== false ? [at] : [];
  const children = Object.entries(schema.properties ?? {}).flatMap(([key, child]) => openObjects(child, `${at}.${key}`));
  return [...here, ...children, ...(schema.items ? openObjects(schema.items, `${at}[]`) : [])];
}

describe('API reference (deploy/docs/openapi.json)', () => {
  it('is what the route schemas generate (run `npm run docs:api` when this fails)', async () => {
    expect(readRepoFile('deploy/docs/openapi.json'), `${OPENAPI_FILE} is stale`).toBe(await openApiDocument());
  });

  it('is an OpenAPI 3 document of this version in which every operation declares responses and closes its request bodies', async () => {
    const document = JSON.parse(await openApiDocument()) as OpenApi;
    const { version } = JSON.parse(readRepoFile('package.json')) as { version: string };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe(version);
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
        for (const [type, body] of Object.entries(operation.requestBody?.content ?? {})) {
          expect(openObjects(body.schema, 'body'), `${method} ${path} ${type}: additionalProperties must be false`).toEqual([]);
        }
      }
    }
  });
});
