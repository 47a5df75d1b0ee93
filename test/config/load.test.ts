import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentVariables, loadConfig } from '../../src/config/load.js';

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgw-config-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('loadConfig', () => {
  it('gives schema defaults when nothing is set', () => {
    const config = loadConfig({ env: {} });
    expect(config.http.port).toBe(8080);
    expect(config.pipeline.lookaheadMs).toBe(1000);
    expect(config.pipeline.analysisFps).toBe(10);
  });

  it('applies file, then environment, then command-line flags', () => {
    const file = tempFile('user.yaml', 'http:\n  port: 9000\ndataDir: /tmp/from-file\n');
    const fromFile = loadConfig({ env: { PGW_CONFIG: file } });
    expect(fromFile.http.port).toBe(9000);
    const fromEnv = loadConfig({ env: { PGW_CONFIG: file, PGW_HTTP_PORT: '9100', PGW_DATA_DIR: '/tmp/env' } });
    expect(fromEnv.http.port).toBe(9100);
    expect(fromEnv.dataDir).toBe('/tmp/env');
    const fromFlags = loadConfig({ env: { PGW_HTTP_PORT: '9100' }, overrides: { port: 9200, dataDir: '/tmp/flag', configPath: file } });
    expect(fromFlags.http.port).toBe(9200);
    expect(fromFlags.dataDir).toBe('/tmp/flag');
  });

  it('names unknown keys and suggests the likely one', () => {
    const file = tempFile('typo.yaml', 'http:\n  prot: 9000\n');
    expect(() => loadConfig({ env: {}, overrides: { configPath: file } })).toThrow(/unknown key 'http\.prot': did you mean 'http\.port'\?/);
  });

  it('names the bad value and where it came from', () => {
    expect(() => loadConfig({ env: { PGW_HTTP_PORT: '70000' } })).toThrow(/http\.port: .*65535.*\(set in the environment\)/);
    expect(() => loadConfig({ env: { PGW_PIPELINE_ANALYSIS_FPS: 'often' } })).toThrow(/pipeline\.analysisFps/);
  });

  it('rejects a missing or malformed config file with its path', () => {
    expect(() => loadConfig({ env: { PGW_CONFIG: '/nonexistent/pgw.yaml' } })).toThrow(/\/nonexistent\/pgw\.yaml does not exist/);
    const bad = tempFile('bad.yaml', 'http: [unclosed\n');
    expect(() => loadConfig({ env: { PGW_CONFIG: bad } })).toThrow(/not valid YAML/);
  });

  it('freezes the validated config deeply', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('derives PGW_* names from the schema', () => {
    const names = environmentVariables();
    expect(names.get('PGW_HTTP_PORT')).toEqual(['http', 'port']);
    expect(names.get('PGW_DATA_DIR')).toEqual(['dataDir']);
    expect(names.get('PGW_PIPELINE_LOOKAHEAD_MS')).toEqual(['pipeline', 'lookaheadMs']);
  });
});
