import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { environmentVariables, loadConfig } from '../../src/config/load.js';
import { YAMLLINT_AVAILABLE, checkWithTool, readRepoFile, repoPath, run, toolWorks, yamllint } from './deploy-tools.js';

const CHART = repoPath('deploy/helm/privacy-gateway');
const chart = parseYaml(readRepoFile('deploy/helm/privacy-gateway/Chart.yaml')) as Record<string, string>;
const values = parseYaml(readRepoFile('deploy/helm/privacy-gateway/values.yaml')) as Record<string, unknown>;
const valuesSchema = JSON.parse(readRepoFile('deploy/helm/privacy-gateway/values.schema.json')) as Record<string, unknown>;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

/** `helm template` (Helm's own renderer, from deploy/tools/install-helm.sh or the system) with --set flags. */
function helmTemplate(...sets: string[]): { manifests: Manifest[]; stderr: string; status: number | null } {
  const result = run('helm', ['template', 'site-a', CHART, ...sets.flatMap((set) => ['--set', set])]);
  const manifests = result.status === 0 ? parseAllDocuments(result.stdout).map((doc) => doc.toJS() as Manifest).filter(Boolean) : [];
  return { manifests, stderr: result.stderr, status: result.status };
}

interface Rendered {
  Deployment: IDeployment;
  DaemonSet: IDaemonSet;
  ConfigMap: IConfigMap;
  PersistentVolumeClaim: IPersistentVolumeClaim;
}

function find<K extends keyof Rendered>(manifests: Manifest[], kind: K): Rendered[K] {
  const found = manifests.find((manifest) => manifest.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found as unknown as Rendered[K];
}

function podOf(workload: IDeployment | IDaemonSet): IPodSpec {
  return workload.spec!.template.spec!;
}

function volume(pod: IPodSpec, name: string) {
  return pod.volumes!.find((entry) => entry.name === name)!;
}

/** Validates a manifest against the Kubernetes OpenAPI schema shipped in kubernetes-models. */
async function validateKubernetes(manifest: Manifest): Promise<void> {
  const module = (await import(`kubernetes-models/${manifest.apiVersion}/${manifest.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[manifest.kind]!;
  new Model(manifest).validate();
}

describe('Helm chart metadata and values', () => {
  it('Chart.yaml is a v2 application chart whose appVersion is the gateway version', () => {
    const pkg = JSON.parse(readRepoFile('package.json')) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.type).toBe('application');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('values.yaml satisfies values.schema.json, whose config part is the gateway schema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(valuesSchema);
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    const badPort = structuredClone(values) as { config: Record<string, unknown> };
    badPort.config.http = { port: 70_000 };
    expect(validate(badPort)).toBe(false);
    const typo = structuredClone(values) as { config: Record<string, unknown> };
    typo.config.lgo = { level: 'info' };
    expect(validate(typo)).toBe(false);
  });
});

const helmWorks = toolWorks('helm', ['version', '--short']);
describe.runIf(checkWithTool(helmWorks))('Helm chart rendered by helm', () => {
  it('passes `helm lint --strict` as a Deployment and as a DaemonSet', () => {
    for (const kind of ['Deployment', 'DaemonSet']) {
      const result = run('helm', ['lint', '--strict', CHART, '--set', `workload.kind=${kind}`]);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('0 chart(s) failed');
    }
  });

  it('renders objects that are valid against the Kubernetes API schema, and never a Secret', async () => {
    for (const kind of ['Deployment', 'DaemonSet']) {
      const { manifests, stderr } = helmTemplate(`workload.kind=${kind}`, 'keys.existingSecret=site-keys');
      expect(manifests.map((manifest) => manifest.kind).sort(), stderr).toEqual(
        kind === 'Deployment' ? ['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Service'] : ['ConfigMap', 'DaemonSet', 'Service'],
      );
      for (const manifest of manifests) await validateKubernetes(manifest);
    }
  });

  it('the Kubernetes schema check rejects a malformed object', async () => {
    const { manifests } = helmTemplate();
    const deployment = structuredClone(find(manifests, 'Deployment'));
    (podOf(deployment).containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'http';
    await expect(validateKubernetes(deployment as unknown as Manifest)).rejects.toThrow(/containerPort/);
  });

  it('runs one non-root gateway per data directory with a read-only root file system and probes', () => {
    const { manifests } = helmTemplate();
    const deployment = find(manifests, 'Deployment');
    expect(deployment.spec!.replicas).toBe(1);
    expect(deployment.spec!.strategy!.type).toBe('Recreate');
    const pod = podOf(deployment);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const container = pod.containers[0]!;
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(container.livenessProbe!.httpGet!.path).toBe('/healthz');
    expect(container.readinessProbe!.httpGet!.path).toBe('/readyz');
    expect(container.startupProbe!.httpGet!.path).toBe('/healthz');
    expect(volume(pod, 'tmp').emptyDir!.medium).toBe('Memory');
  });

  it('sizes CPU, memory and the data volume per camera', () => {
    const { manifests } = helmTemplate('cameras=3');
    const resources = podOf(find(manifests, 'Deployment')).containers[0]!.resources;
    expect(resources).toEqual({ requests: { cpu: '3250m', memory: '2560Mi' }, limits: { memory: '2560Mi' } });
    const storage = (claim: IPersistentVolumeClaim) => claim.spec!.resources!.requests!.storage;
    expect(storage(find(manifests, 'PersistentVolumeClaim'))).toBe('550Gi');
    expect(storage(find(helmTemplate('cameras=3', 'persistence.size=2Ti').manifests, 'PersistentVolumeClaim'))).toBe('2Ti');
  });

  it('gives the gateway a config file from values that the gateway itself accepts, with the data dir on the volume', () => {
    const { manifests } = helmTemplate('config.pipeline.lookaheadMs=1500', 'containerPort=9000');
    const pod = podOf(find(manifests, 'Deployment'));
    const container = pod.containers[0]!;
    const env = Object.fromEntries(container.env!.filter((entry) => entry.value !== undefined).map((entry) => [entry.name, entry.value!]));
    const known = environmentVariables();
    for (const name of Object.keys(env).filter((key) => key.startsWith('PGW_') && key !== 'PGW_CONFIG')) expect(known.has(name), name).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'pgw-helm-config-'));
    writeFileSync(join(dir, 'gateway.yaml'), find(manifests, 'ConfigMap').data!['gateway.yaml']!);
    const config = loadConfig({ env: { ...env, PGW_CONFIG: join(dir, 'gateway.yaml') } });
    expect(config.pipeline.lookaheadMs).toBe(1500);
    expect(config.http.port).toBe(9000);
    const dataMount = container.volumeMounts!.find((mount) => mount.name === 'data')!;
    expect(dataMount.mountPath).toBe(config.dataDir);
    const claim = volume(pod, 'data').persistentVolumeClaim!.claimName;
    expect(claim).toBe(find(manifests, 'PersistentVolumeClaim').metadata!.name);
  });

  it('rolls the pod when the config changes (checksum annotation)', () => {
    const checksum = (set: string) => find(helmTemplate(set).manifests, 'Deployment').spec!.template.metadata!.annotations!['checksum/config'];
    expect(checksum('config.log.level=info')).not.toBe(checksum('config.log.level=debug'));
  });

  it('takes keys only by Secret reference: mounted read-only 0400, and secret env by secretKeyRef', () => {
    const { manifests } = helmTemplate('keys.existingSecret=site-keys', 'secretEnv[0].name=PGW_VAULT_KEK', 'secretEnv[0].secretName=site-keys', 'secretEnv[0].key=vault-kek');
    const pod = podOf(find(manifests, 'Deployment'));
    const container = pod.containers[0]!;
    expect(volume(pod, 'credentials').secret).toEqual({ secretName: 'site-keys', defaultMode: 0o400 });
    expect(container.volumeMounts!.find((mount) => mount.name === 'credentials')).toMatchObject({ readOnly: true, mountPath: '/run/credentials/privacy-gateway' });
    expect(container.env).toContainEqual({ name: 'CREDENTIALS_DIRECTORY', value: '/run/credentials/privacy-gateway' });
    expect(container.env).toContainEqual({ name: 'PGW_VAULT_KEK', valueFrom: { secretKeyRef: { name: 'site-keys', key: 'vault-kek' } } });
  });

  it('as a DaemonSet keeps data on a prepared host directory and has no claim', () => {
    const { manifests } = helmTemplate('workload.kind=DaemonSet', 'nodeSelector.privacy-gateway/edge=yes');
    const pod = podOf(find(manifests, 'DaemonSet'));
    expect(volume(pod, 'data').hostPath).toEqual({ path: '/var/lib/privacy-gateway', type: 'Directory' });
    expect(pod.nodeSelector).toEqual({ 'privacy-gateway/edge': 'yes' });
    expect(manifests.some((manifest) => manifest.kind === 'PersistentVolumeClaim')).toBe(false);
  });

  it('refuses invalid values at render time: a gateway config error, an unknown key, an unknown workload kind', () => {
    const port = helmTemplate('config.http.port=70000');
    expect(port.status).not.toBe(0);
    expect(port.stderr).toMatch(/config\.http\.port/);
    const typo = helmTemplate('config.pipeline.lookahedMs=10');
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toMatch(/lookahedMs/);
    const kind = helmTemplate('workload.kind=StatefulSet');
    expect(kind.status).not.toBe(0);
    expect(kind.stderr).toMatch(/workload\.kind/);
  });

  it.runIf(checkWithTool(YAMLLINT_AVAILABLE))('chart files and rendered manifests pass yamllint', () => {
    for (const text of [readRepoFile('deploy/helm/privacy-gateway/Chart.yaml'), readRepoFile('deploy/helm/privacy-gateway/values.yaml')]) {
      const result = yamllint(text);
      expect(result.stdout + result.stderr).toBe('');
    }
    for (const kind of ['Deployment', 'DaemonSet']) {
      const rendered = run('helm', ['template', 'site-a', CHART, '--set', `workload.kind=${kind}`, '--set', 'keys.existingSecret=k']).stdout;
      const result = yamllint(rendered);
      expect(result.stdout + result.stderr, kind).toBe('');
    }
  });
});
