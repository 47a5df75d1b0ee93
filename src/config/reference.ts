import { Document, isMap, isScalar, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { environmentVariables } from './load.js';
import { configSchema } from './schema.js';

/**
 * Everything a person reads about configuration is generated here from the one schema
 * (`schema.ts`): the Markdown reference, the commented `config/default.yaml` and the JSON Schema
 * used by editors and by the Helm chart. `scripts/gen-config-docs.ts` writes them; a drift test
 * compares the committed files with these functions.
 */

/** The subset of JSON Schema that `z.toJSONSchema` emits for the config schema. */
export interface JsonSchemaNode {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
}

/** One documented key: a leaf, or a collection whose entries are documented as `key[]` / `key.<name>`. */
export interface ConfigKeyDoc {
  path: string;
  type: string;
  defaultValue: unknown;
  envVar: string | undefined;
  description: string;
}

export interface ConfigSectionDoc {
  key: string;
  description: string;
  keys: ConfigKeyDoc[];
}

/** JSON Schema (draft 2020-12) of the configuration file as a user writes it: every key optional. */
export function configJsonSchema(): JsonSchemaNode & Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode & Record<string, unknown>;
}

function isSection(node: JsonSchemaNode): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

function range(low: number | undefined, high: number | undefined, lowOpen: boolean, highOpen: boolean): string {
  if (low === undefined && high === undefined) return '';
  const from = low === undefined ? '' : `${lowOpen ? '>' : '≥'} ${low}`;
  const to = high === undefined ? '' : `${highOpen ? '<' : '≤'} ${high}`;
  return ` (${[from, to].filter((part) => part !== '').join(', ')})`;
}

/** A short, human-readable type: `integer (≥ 0, ≤ 65535)`, `'info' \| 'debug'`, `list of string`. */
export function describeType(node: JsonSchemaNode): string {
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return alternatives.map(describeType).join(' or ');
  if (node.const !== undefined) return JSON.stringify(node.const).replaceAll('"', "'");
  if (node.enum) return node.enum.map((value) => JSON.stringify(value).replaceAll('"', "'")).join(' | ');
  switch (node.type) {
    case 'integer':
    case 'number':
      return node.type + range(node.minimum ?? node.exclusiveMinimum, node.maximum ?? node.exclusiveMaximum, node.exclusiveMinimum !== undefined, node.exclusiveMaximum !== undefined);
    case 'string': {
      const format = node.format ? ` ${node.format}` : '';
      return `string${format}${range(node.minLength, node.maxLength, false, false).replace('(', '(length ')}`;
    }
    case 'array':
      return `list of ${node.items ? describeType(node.items) : 'any'}${range(node.minItems, node.maxItems, false, false).replace('(', '(items ')}`;
    case 'object':
      return node.properties ? 'object' : 'map of name → ' + (typeof node.additionalProperties === 'object' ? describeType(node.additionalProperties) : 'any');
    case 'boolean':
    case 'null':
      return node.type;
    case undefined:
      return 'any';
  }
}

function collectKeys(node: JsonSchemaNode, path: string, envByPath: Map<string, string>, into: ConfigKeyDoc[]): void {
  if (isSection(node)) {
    for (const [key, child] of Object.entries(node.properties ?? {})) collectKeys(child, `${path}.${key}`, envByPath, into);
    return;
  }
  into.push({ path, type: describeType(node), defaultValue: node.default, envVar: envByPath.get(path), description: node.description ?? '' });
  const entry = node.type === 'array' ? node.items : typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
  if (entry && isSection(entry)) {
    const prefix = node.type === 'array' ? `${path}[]` : `${path}.<name>`;
    for (const [key, child] of Object.entries(entry.properties ?? {})) collectKeys(child, `${prefix}.${key}`, envByPath, into);
  }
}

/** The schema as documentation: top-level scalars first (as section `(top level)`), then each section in schema order. */
export function configSections(): ConfigSectionDoc[] {
  const envByPath = new Map([...environmentVariables()].map(([name, path]) => [path.join('.'), name]));
  const root = configJsonSchema();
  const topLevel: ConfigSectionDoc = { key: '', description: 'Keys at the top level of the file.', keys: [] };
  const sections: ConfigSectionDoc[] = [topLevel];
  for (const [key, node] of Object.entries(root.properties ?? {})) {
    if (isSection(node)) {
      const keys: ConfigKeyDoc[] = [];
      collectKeys(node, key, envByPath, keys);
      sections.push({ key, description: node.description ?? '', keys });
    } else {
      collectKeys(node, key, envByPath, topLevel.keys);
    }
  }
  return sections.filter((section) => section.keys.length > 0);
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function formatDefault(value: unknown): string {
  if (value === undefined) return '—';
  return '`' + cell(JSON.stringify(value)) + '`';
}

export const REFERENCE_BEGIN = '<!-- BEGIN GENERATED CONFIG REFERENCE (npm run docs:config) -->';
export const REFERENCE_END = '<!-- END GENERATED CONFIG REFERENCE -->';

/** The Markdown configuration reference: one table per section. */
export function configReferenceMarkdown(): string {
  const lines = [REFERENCE_BEGIN, ''];
  for (const section of configSections()) {
    lines.push(`### ${section.key === '' ? 'Top level' : '`' + section.key + '`'}`, '', section.description, '');
    lines.push('| key | type | default | environment | description |', '| --- | --- | --- | --- | --- |');
    for (const key of section.keys) {
      const env = key.envVar ? '`' + key.envVar + '`' : '—';
      lines.push(`| \`${key.path}\` | ${cell(key.type)} | ${formatDefault(key.defaultValue)} | ${env} | ${cell(key.description)} |`);
    }
    lines.push('');
  }
  lines.push(REFERENCE_END);
  return lines.join('\n') + '\n';
}

function commentPairs(map: YAMLMap, schema: JsonSchemaNode, depth: number): void {
  for (const pair of map.items as Pair<Scalar, unknown>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const node = schema.properties?.[key];
    if (!node || !isScalar(pair.key)) continue;
    const type = describeType(node);
    const text = isSection(node) ? (node.description ?? '') : `${node.description ?? ''} [${type}]`;
    pair.key.commentBefore = text
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
    if (depth === 0 && isSection(node)) pair.key.spaceBefore = true;
    if (isMap(pair.value) && isSection(node)) commentPairs(pair.value, node, depth + 1);
  }
}

const DEFAULT_YAML_HEADER = [
  ' privacy-gateway embedded defaults, generated from src/config/schema.ts by `npm run docs:config`;',
  ' do not edit by hand. The reference with environment variables is deploy/docs/configuration.md.',
  ' A user file (--config / PGW_CONFIG), then PGW_* environment variables, then command-line flags',
  ' override these values.',
].join('\n');

/** `config/default.yaml`: every key at its schema default, each with its description as a comment. */
export function defaultConfigYaml(): string {
  const doc = new Document(configSchema.parse({}));
  doc.commentBefore = DEFAULT_YAML_HEADER;
  if (isMap(doc.contents)) commentPairs(doc.contents, configJsonSchema(), 0);
  return doc.toString({ lineWidth: 0 });
}
