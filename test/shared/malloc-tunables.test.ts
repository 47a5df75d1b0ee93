import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES, withMallocTunables } from '../../src/shared/malloc-tunables.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pgw-malloc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('withMallocTunables', () => {
  it('adds the detector malloc settings to an environment without any', () => {
    const env = withMallocTunables({ PATH: '/usr/bin' });
    expect(env.GLIBC_TUNABLES).toBe(MALLOC_TUNABLES.join(':'));
    expect(env.PATH).toBe('/usr/bin');
  });

  it('adds to other settings of the operator and never overrides one the operator made', () => {
    const other = withMallocTunables({ GLIBC_TUNABLES: 'glibc.cpu.x86_rep_movsb_threshold=4096' });
    expect(other.GLIBC_TUNABLES).toBe(['glibc.cpu.x86_rep_movsb_threshold=4096', ...MALLOC_TUNABLES].join(':'));
    const own = (withMallocTunables({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES ?? '').split(':');
    expect(own).toContain('glibc.malloc.hugetlb=0');
    expect(own).not.toContain('glibc.malloc.hugetlb=1');
    expect(own).toHaveLength(MALLOC_TUNABLES.length);
  });

  it('returns the same environment when nothing is missing or the operator opted out', () => {
    const complete = { GLIBC_TUNABLES: MALLOC_TUNABLES.join(':') };
    expect(withMallocTunables(complete)).toBe(complete);
    const optedOut = { PGW_MALLOC_TUNING: 'off' };
    expect(withMallocTunables(optedOut)).toBe(optedOut);
  });
});

describe.runIf(process.platform === 'linux')('relaunchWithMallocTunables', () => {
  const script = path.join(dir, 'relaunch.mts');
  writeFileSync(
    script,
    [
      `import { relaunchWithMallocTunables } from ${JSON.stringify(path.resolve('src/shared/malloc-tunables.ts'))};`,
      'const relaunched = relaunchWithMallocTunables();',
      'if (relaunched) process.exit(await relaunched);',
      "process.stdout.write(`child ${process.env.GLIBC_TUNABLES ?? ''} ${process.argv.slice(2).join(',')}\\n`);",
      'process.exit(7);',
    ].join('\n'),
  );
  const run = (env: NodeJS.ProcessEnv): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', script, 'a', 'b'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });

  it('runs the command again with the settings, same arguments, and returns its exit code', () => {
    const result = run({});
    expect(result.status).toBe(7);
    expect(result.stdout).toContain(`child ${MALLOC_TUNABLES.join(':')} a,b`);
    expect(String(result.stdout).match(/child /g)).toHaveLength(1);
  });

  it('carries on in the same process when the settings are already there', () => {
    const result = run({ GLIBC_TUNABLES: MALLOC_TUNABLES.join(':') });
    expect(result.status).toBe(7);
    expect(result.stdout).toContain('child ');
  });
});
