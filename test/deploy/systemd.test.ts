import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../src/config/load.js';
import { checkWithTool, readRepoFile, repoPath, run, toolWorks } from './deploy-tools.js';

const UNIT = 'deploy/systemd/privacy-gateway.service';
const unitText = readRepoFile(UNIT);

/** The unit as section → directive → values (a directive may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    current?.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string): string | undefined => service.get(key)?.at(-1);

describe('systemd unit', () => {
  it('runs as a dedicated user with a restart policy and a bounded restart rate', () => {
    expect(one('User')).toBe('privacy-gateway');
    expect(one('Group')).toBe('privacy-gateway');
    expect(one('Restart')).toBe('on-failure');
    expect(unit.get('Unit')?.get('StartLimitBurst')).toBeDefined();
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('is sandboxed: read-only system, no new privileges, private tmp, no home, no capabilities', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      CapabilityBoundingSet: '',
      UMask: '0077',
    };
    for (const [key, value] of Object.entries(expected)) expect(one(key), key).toBe(value);
    expect(service.get('SystemCallFilter')).toContain('@system-service');
  });

  it('may write only its state directory, which is the data directory; keys arrive as credentials', () => {
    expect(one('StateDirectory')).toBe('privacy-gateway');
    expect(one('StateDirectoryMode')).toBe('0700');
    expect(one('ReadWritePaths')).toBe('/var/lib/privacy-gateway');
    expect(service.get('Environment')).toContain('PGW_DATA_DIR=/var/lib/privacy-gateway');
    expect(one('LoadCredential')).toMatch(/^keys:\/etc\/privacy-gateway\/keys$/);
    expect(one('ConfigurationDirectory')).toBe('privacy-gateway');
  });

  it('sets only PGW_* variables that the config loader knows (PGW_CONFIG aside)', () => {
    const known = environmentVariables();
    const names = (service.get('Environment') ?? []).map((entry) => entry.split('=')[0] as string).filter((name) => name.startsWith('PGW_') && name !== 'PGW_CONFIG');
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(known.has(name), name).toBe(true);
  });

  const analyzeWorks = toolWorks('systemd-analyze', ['--version']);
  it.runIf(checkWithTool(analyzeWorks))('passes `systemd-analyze verify` (a misspelt directive would not)', () => {
    const result = run('systemd-analyze', ['verify', '--man=no', repoPath(UNIT)]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'pgw-unit-'));
    writeFileSync(join(dir, 'privacy-gateway.service'), unitText.replace('ProtectSystem=strict', 'ProtectSytem=strict'));
    expect(run('systemd-analyze', ['verify', '--man=no', join(dir, 'privacy-gateway.service')]).stderr).toMatch(/Unknown key 'ProtectSytem'/);
  });

  it.runIf(checkWithTool(analyzeWorks))('rates at most 2.0 ("OK") in `systemd-analyze security --offline`', () => {
    const result = run('systemd-analyze', ['security', '--offline=true', '--threshold=20', '--no-pager', repoPath(UNIT)]);
    const level = /Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout)?.[1];
    expect(Number(level), result.stdout.slice(-400)).toBeLessThanOrEqual(2);
    expect(result.status).toBe(0);
  });
});
