import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import { writeFileDurably } from '../shared/durable-file.js';
import { policySchema, policySetProblems, policySetSchema, type SensorPolicy, type VersionedPolicySet } from './policy-schema.js';

/**
 * The active sensor policy set and its version. It starts from the YAML files in the policy
 * directory (version 1) until an operator stores a set; stored sets live in one JSON file written
 * atomically (temp file, fsync, rename, directory fsync). Every stored set gets the next version.
 */

export interface PolicyStoreOptions {
  /** `dataDir/sensors/policies.json`. */
  filePath: string;
  /** Directory of `*.yaml` seed policies, one policy per file. */
  seedDir: string;
  clock: Clock;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`);
}

/** Validates an untrusted policy list: schema first, then the cross-field privacy rules. */
export function validatePolicies(input: unknown): SensorPolicy[] {
  const parsed = policySetSchema.safeParse({ policies: input });
  if (!parsed.success) {
    const problems = describeIssues(parsed.error);
    throw new GatewayError('PGW_ERR_VALIDATION', `sensor policies are not valid: ${problems.join('; ')}`, { problems });
  }
  const problems = policySetProblems(parsed.data.policies);
  if (problems.length > 0) throw new GatewayError('PGW_ERR_VALIDATION', `sensor policies are not allowed: ${problems.join('; ')}`, { problems });
  return parsed.data.policies;
}

function readSeedPolicies(seedDir: string): SensorPolicy[] {
  if (!existsSync(seedDir)) return [];
  const files = readdirSync(seedDir).filter((name) => name.endsWith('.yaml')).sort();
  const raw = files.map((name) => {
    const document: unknown = parseYaml(readFileSync(join(seedDir, name), 'utf8'));
    const parsed = policySchema.safeParse(document);
    if (!parsed.success) {
      throw new GatewayError('PGW_ERR_CONFIG_INVALID', `sensor policy ${name} is not valid: ${describeIssues(parsed.error).join('; ')}`, { file: name });
    }
    return parsed.data;
  });
  return validatePolicies(raw);
}



export class SensorPolicyStore {
  private active: VersionedPolicySet | undefined;

  constructor(private readonly options: PolicyStoreOptions) {}

  /** Reads the stored set, or the seed policies when none was stored yet. */
  load(): VersionedPolicySet {
    if (existsSync(this.options.filePath)) {
      this.active = this.readStored();
    } else {
      this.active = {
        version: 1,
        updatedAt: new Date(this.options.clock.now()).toISOString(),
        updatedBy: 'system:seed',
        policies: readSeedPolicies(this.options.seedDir),
      };
    }
    return this.active;
  }

  private readStored(): VersionedPolicySet {
    let stored: VersionedPolicySet;
    try {
      stored = JSON.parse(readFileSync(this.options.filePath, 'utf8')) as VersionedPolicySet;
    } catch (error) {
      throw new GatewayError('PGW_ERR_CONFIG_INVALID', `stored sensor policies ${this.options.filePath} are unreadable`, { path: this.options.filePath }, { cause: error });
    }
    if (!Number.isInteger(stored.version) || stored.version < 1) {
      throw new GatewayError('PGW_ERR_CONFIG_INVALID', `stored sensor policies ${this.options.filePath} have no valid version`, { path: this.options.filePath });
    }
    return { ...stored, policies: validatePolicies(stored.policies) };
  }

  current(): VersionedPolicySet {
    return this.active ?? this.load();
  }

  /**
   * Checks a replacement against the current version (optimistic concurrency) and validates it;
   * returns the set that `commit` would store, without storing anything.
   */
  prepare(input: unknown, expectedVersion: number, actor: string): VersionedPolicySet {
    const current = this.current();
    if (expectedVersion !== current.version) {
      throw new GatewayError('PGW_ERR_CONFLICT', `sensor policies are at version ${current.version}, not ${expectedVersion}`, {
        currentVersion: current.version,
      });
    }
    return {
      version: current.version + 1,
      updatedAt: new Date(this.options.clock.now()).toISOString(),
      updatedBy: actor,
      policies: validatePolicies(input),
    };
  }

  /** Stores a prepared set durably and makes it the active one. */
  commit(next: VersionedPolicySet): void {
    try {
      mkdirSync(dirname(this.options.filePath), { recursive: true });
      writeFileDurably(this.options.filePath, `${JSON.stringify(next, null, 2)}\n`);
    } catch (error) {
      rmSync(`${this.options.filePath}.tmp`, { force: true });
      throw new GatewayError('PGW_ERR_UNAVAILABLE', 'sensor policies could not be stored', { path: this.options.filePath }, { cause: error });
    }
    this.active = next;
  }
}
