import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { environmentVariables, loadConfig } from '../../src/config/load.js';
import { REFERENCE_BEGIN, REFERENCE_END, configSections, configReferenceMarkdown, describeType, defaultConfigYaml } from '../../src/config/reference.js';
import { configSchema } from '../../src/config/schema.js';
import { DEFAULT_YAML, REFERENCE_PAGE, generatedFiles, replaceBetweenMarkers } from '../../scripts/gen-config-docs.js';
import { ROOT, readRepoFile, repoPath } from './deploy-tools.js';

describe('configuration reference generated from the schema', () => {
  it('committed generated files equal what the schema generates (run `npm run docs:config` when this fails)', () => {
    for (const [path, expected] of generatedFiles()) {
      const committed = readRepoFile(relative(ROOT, path));
      expect(committed, `${relative(ROOT, path)} is stale: run npm run docs:config and commit the result`).toBe(expected);
    }
  });

  it('documents every environment variable the loader accepts, next to its key', () => {
    const reference = configReferenceMarkdown();
    const names = environmentVariables();
    expect(names.size).toBeGreaterThan(5);
    for (const [name, path] of names) {
      expect(reference).toContain(`| \`${path.join('.')}\` |`);
      expect(reference).toMatch(new RegExp(`\\| \`${path.join('\\.')}\` \\|[^\\n]*\\| \`${name}\` \\|`));
    }
  });

  it('gives every documented key a description, a type and, for leaves, the default the schema applies', () => {
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    const at = (path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], defaults);
    for (const section of configSections()) {
      for (const key of section.keys) {
        expect(key.description, `${key.path} has no .describe()`).not.toBe('');
        expect(key.type).not.toBe('any');
        if (!key.path.includes('[]') && !key.path.includes('<name>')) expect(key.defaultValue, key.path).toEqual(at(key.path));
      }
    }
  });

  it('describes types with their bounds and choices', () => {
    expect(describeType({ type: 'integer', minimum: 0, maximum: 65535 })).toBe('integer (≥ 0, ≤ 65535)');
    expect(describeType({ anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: 120 }, { type: 'string', const: 'all' }] })).toBe("number (> 0, ≤ 120) or 'all'");
    expect(describeType({ type: 'array', minItems: 1, items: { type: 'string', enum: ['face', 'plate'] } })).toBe("list of 'face' | 'plate' (items ≥ 1)");
    expect(describeType({ type: 'string', minLength: 1 })).toBe('string (length ≥ 1)');
    expect(describeType({ type: 'object', additionalProperties: { type: 'boolean' } })).toBe('map of name → boolean');
  });

  it('config/default.yaml holds exactly the schema defaults, and the loader reads it unchanged', () => {
    const parsed = parseYaml(readRepoFile('config/default.yaml')) as unknown;
    expect(parsed).toEqual(configSchema.parse({}));
    expect(loadConfig({ env: {}, configDir: repoPath('config') })).toEqual(loadConfig({ env: {}, configDir: mkdtempSync(join(tmpdir(), 'pgw-no-defaults-')) }));
  });

  it('comments every key of default.yaml with its description', () => {
    const yaml = defaultConfigYaml();
    for (const section of configSections()) {
      for (const key of section.keys.filter((entry) => !entry.path.includes('[]') && !entry.path.includes('<name>'))) {
        expect(yaml, key.path).toContain(`# ${key.description}`);
      }
    }
  });

  it('keeps the hand-written part of the reference page and links it from README.md', () => {
    const page = readRepoFile(relative(ROOT, REFERENCE_PAGE));
    expect(page.startsWith('# Configuration reference')).toBe(true);
    expect(readRepoFile('README.md')).toContain('deploy/docs/configuration.md');
    expect(relative(ROOT, DEFAULT_YAML)).toBe('config/default.yaml');
  });

  it('replaces only the generated block of the reference page and refuses a page without markers', () => {
    const page = `intro\n${REFERENCE_BEGIN}\nold table\n${REFERENCE_END}\noutro\n`;
    expect(replaceBetweenMarkers(page, `${REFERENCE_BEGIN}\nnew\n${REFERENCE_END}\n`)).toBe(`intro\n${REFERENCE_BEGIN}\nnew\n${REFERENCE_END}\noutro\n`);
    expect(() => replaceBetweenMarkers('# no markers\n', 'x')).toThrow(/lacks the generated-reference markers/);
  });
});
