import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export function repoPath(...parts: string[]): string {
  return resolve(ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

export function run(command: string, args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: options.cwd ?? ROOT, input: options.input, env: options.env ?? process.env, encoding: 'utf8', timeout: 60_000 });
}

/** True when `command args` runs and exits 0 (the tool is installed and works). */
export function toolWorks(command: string, args: string[]): boolean {
  const result = run(command, args);
  return result.error === undefined && result.status === 0;
}

/**
 * External validators (helm, systemd-analyze, docker compose, yamllint) run where they are installed;
 * `.ci/run` installs them, so under CI a missing tool is a failure, not a reason to leave a check out.
 */
export function checkWithTool(available: boolean): boolean {
  return available || process.env.CI !== undefined;
}

/** Lints YAML text with yamllint's default rules, relaxed only for line length and document start. */
export function yamllint(text: string): SpawnSyncReturns<string> {
  const rules = '{extends: default, rules: {line-length: {max: 200}, document-start: disable, comments: {min-spaces-from-content: 1}}}';
  return run('yamllint', ['--strict', '-d', rules, '-'], { input: text });
}

export const YAMLLINT_AVAILABLE = toolWorks('yamllint', ['--version']);
