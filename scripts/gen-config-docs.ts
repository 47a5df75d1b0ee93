import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REFERENCE_BEGIN,
  REFERENCE_END,
  configJsonSchema,
  configReferenceMarkdown,
  defaultConfigYaml,
} from '../src/config/reference.js';

/**
 * Regenerates every file derived from the config schema. Run after adding or changing a config key:
 *   npm run docs:config            writes the files
 *   npm run docs:config -- --check exits 1 and names the stale files (what the drift test checks)
 */

const ROOT = resolve(import.meta.dirname, '..');
export const REFERENCE_PAGE = resolve(ROOT, 'deploy/docs/configuration.md');
export const DEFAULT_YAML = resolve(ROOT, 'config/default.yaml');
export const SCHEMA_JSON = resolve(ROOT, 'config/schema.json');
export const HELM_VALUES_SCHEMA = resolve(ROOT, 'deploy/helm/privacy-gateway/values.schema.json');

/** `page` with the text from the begin marker through the end marker's line replaced by `block`. */
export function replaceBetweenMarkers(page: string, block: string): string {
  const begin = page.indexOf(REFERENCE_BEGIN);
  const end = page.indexOf(REFERENCE_END);
  if (begin < 0 || end < begin) throw new Error('the reference page lacks the generated-reference markers');
  return page.slice(0, begin) + block + page.slice(end + REFERENCE_END.length + 1);
}

/** The gateway's config schema without its `$schema` line, as the `config` value of the chart. */
function chartValuesSchema(current: string): string {
  const values = JSON.parse(current) as { properties: Record<string, unknown> };
  const { $schema: _dialect, ...config } = configJsonSchema();
  values.properties.config = { ...config, description: 'Gateway configuration file (config reference: deploy/docs/configuration.md).' };
  return JSON.stringify(values, null, 2) + '\n';
}

/** Path → content of every generated file, computed from the schema and the committed hand-written parts. */
export function generatedFiles(): Map<string, string> {
  return new Map([
    [REFERENCE_PAGE, replaceBetweenMarkers(readFileSync(REFERENCE_PAGE, 'utf8'), configReferenceMarkdown())],
    [DEFAULT_YAML, defaultConfigYaml()],
    [SCHEMA_JSON, JSON.stringify(configJsonSchema(), null, 2) + '\n'],
    [HELM_VALUES_SCHEMA, chartValuesSchema(readFileSync(HELM_VALUES_SCHEMA, 'utf8'))],
  ]);
}

/** Files whose committed content differs from what the schema generates. */
export function staleFiles(): string[] {
  return [...generatedFiles()].filter(([path, content]) => readFileSync(path, 'utf8') !== content).map(([path]) => relative(ROOT, path));
}

function main(): number {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  if (values.check) {
    const stale = staleFiles();
    for (const path of stale) process.stderr.write(`stale: ${path} (run npm run docs:config)\n`);
    return stale.length === 0 ? 0 : 1;
  }
  const files = generatedFiles();
  for (const [path, content] of files) writeFileSync(path, content);
  process.stdout.write(`wrote ${[...files.keys()].map((path) => relative(ROOT, path)).join(', ')}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) process.exitCode = main();
