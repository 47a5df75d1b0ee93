import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { GatewayError } from '../shared/errors.js';
import { configSchema, type Config } from './schema.js';

export interface ConfigOverrides {
  /** Path of a user config file (`--config`, else `PGW_CONFIG`). */
  configPath?: string;
  /** `--data-dir`. */
  dataDir?: string;
  /** `--port`. */
  port?: number;
}

type Plain = Record<string, unknown>;
type Source = 'default.yaml' | 'config file' | 'environment' | 'command line';

const ENV_PREFIX = 'PGW_';

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeInto(target: Plain, source: Plain): Plain {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    target[key] = isPlainObject(current) && isPlainObject(value) ? mergeInto({ ...current }, value) : value;
  }
  return target;
}

function readYamlFile(path: string, source: Source): Plain {
  if (!existsSync(path)) {
    throw new GatewayError('PGW_ERR_CONFIG_FILE', `config file ${path} does not exist`, { path, source });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new GatewayError('PGW_ERR_CONFIG_FILE', `config file ${path} is not valid YAML: ${(error as Error).message}`, { path }, { cause: error });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) {
    throw new GatewayError('PGW_ERR_CONFIG_FILE', `config file ${path} must hold a YAML mapping at the top level`, { path });
  }
  return parsed;
}

function toEnvSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Every leaf of the defaults, as `PGW_*` variable name → path. `http.port` → `PGW_HTTP_PORT`. */
export function environmentVariables(): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const walk = (node: Plain, path: string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      const next = [...path, key];
      if (isPlainObject(value)) walk(value, next);
      else names.set(ENV_PREFIX + next.map(toEnvSegment).join('_'), next);
    }
  };
  walk(configSchema.parse({}), []);
  return names;
}

function coerceEnvValue(raw: string, example: unknown): unknown {
  if (typeof example === 'number') {
    const asNumber = Number(raw);
    return raw.trim() !== '' && Number.isFinite(asNumber) ? asNumber : raw;
  }
  if (typeof example === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return raw;
  }
  if (typeof example === 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function setPath(target: Plain, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1] as string] = value;
}

function getPath(source: Plain, path: string[]): unknown {
  let node: unknown = source;
  for (const key of path) node = isPlainObject(node) ? node[key] : undefined;
  return node;
}

function fromEnvironment(env: NodeJS.ProcessEnv, origins: Map<string, Source>): Plain {
  const result: Plain = {};
  const defaults = configSchema.parse({}) as Plain;
  for (const [name, path] of environmentVariables()) {
    const raw = env[name];
    if (raw === undefined) continue;
    setPath(result, path, coerceEnvValue(raw, getPath(defaults, path)));
    origins.set(path.join('.'), 'environment');
  }
  return result;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length] as number;
}

function knownKeysAt(path: PropertyKey[]): string[] {
  const node = getPath(configSchema.parse({}), path.map(String));
  return isPlainObject(node) ? Object.keys(node) : [];
}

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, Source>): string {
  const where = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const full = [...issue.path.map(String), key].join('.');
        const near = knownKeysAt(issue.path).filter((known) => editDistance(known, key) <= 2);
        const hint = near.length > 0 ? `did you mean '${[...issue.path.map(String), near[0]].join('.')}'?` : 'remove it';
        return `unknown key '${full}': ${hint}`;
      })
      .join('; ');
  }
  const origin = origins.get(where);
  return `${where}: ${issue.message}${origin ? ` (set in the ${origin})` : ''}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export interface LoadOptions {
  overrides?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
  /** Directory holding `default.yaml`; defaults to the project's `config/`. */
  configDir?: string;
}

/** defaults → config/default.yaml → user file → PGW_* environment → CLI flags → validate → freeze. */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const overrides = options.overrides ?? {};
  const origins = new Map<string, Source>();
  const configDir = options.configDir ?? resolve(import.meta.dirname, '../../config');
  const defaultFile = resolve(configDir, 'default.yaml');
  const merged: Plain = existsSync(defaultFile) ? readYamlFile(defaultFile, 'default.yaml') : {};
  const userPath = overrides.configPath ?? env[`${ENV_PREFIX}CONFIG`];
  if (userPath) mergeInto(merged, readYamlFile(resolve(userPath), 'config file'));
  mergeInto(merged, fromEnvironment(env, origins));
  if (overrides.dataDir !== undefined) {
    merged.dataDir = overrides.dataDir;
    origins.set('dataDir', 'command line');
  }
  if (overrides.port !== undefined) {
    setPath(merged, ['http', 'port'], overrides.port);
    origins.set('http.port', 'command line');
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, origins));
    throw new GatewayError('PGW_ERR_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, { problems });
  }
  return deepFreeze(result.data);
}
