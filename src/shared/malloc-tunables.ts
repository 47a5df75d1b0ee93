import { spawn } from 'node:child_process';

/**
 * glibc malloc settings for processes that run detectors. ONNX Runtime takes its large intermediate tensors from
 * malloc on every run (the live profile keeps its arena off to save memory); with `hugetlb=1` malloc asks for
 * transparent huge pages, so those buffers cost 512× fewer page faults and TLB entries. Measured on the 2-core
 * reference machine (a VM, where both are dear): live profile on 1280×720, one ONNX thread, median detection
 * 240 → 90 ms; and a child process spawned from a process holding the models (ffprobe, ffmpeg) no longer makes
 * its next detections 3–4× slower (fork write-protects every page; each later write faults).
 * `arena_max=1` keeps huge pages from multiplying per thread (720p camera process 674 → 339 MB). A fixed
 * 8 MiB `mmap_threshold` maps the largest tensors fresh and returns them when freed, where glibc's sliding
 * threshold would keep them in the heap: 1080p camera tree 733 → 603 MiB at the same analysed rate (1 MiB:
 * 592 MiB, but 3.6 instead of 6 analysed frames/s). glibc reads GLIBC_TUNABLES once, at process start; other C
 * libraries ignore it, and with transparent huge pages off (`never`) `hugetlb` changes nothing.
 */
export const MALLOC_TUNABLES: readonly string[] = ['glibc.malloc.hugetlb=1', 'glibc.malloc.arena_max=1', 'glibc.malloc.mmap_threshold=8388608'];

/** Opting out: `PGW_MALLOC_TUNING=off`. */
const OPT_OUT = 'PGW_MALLOC_TUNING';

/** `env` with MALLOC_TUNABLES added to GLIBC_TUNABLES (settings already present win), or `env` itself if nothing is missing. */
export function withMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[OPT_OUT] === 'off') return env;
  const current = (env.GLIBC_TUNABLES ?? '').split(':').filter((entry) => entry !== '');
  const present = new Set(current.map((entry) => entry.split('=')[0]));
  const missing = MALLOC_TUNABLES.filter((entry) => !present.has(entry.split('=')[0]));
  if (missing.length === 0) return env;
  return { ...env, GLIBC_TUNABLES: [...current, ...missing].join(':') };
}

const INTERRUPT_GRACE_MS = 500;
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/**
 * Runs this same command again in a child process that starts with the malloc settings, when this process did
 * not, and resolves to the child's exit code; resolves to null when this process already has them (or is not on
 * Linux, or opted out), and the caller carries on itself. SIGTERM and SIGHUP sent to this process are passed on;
 * SIGINT from a terminal reaches the child directly (same process group), so it is passed on only if the child
 * is still running a moment later (a SIGINT sent to this process alone).
 */
export function relaunchWithMallocTunables(): Promise<number> | null {
  if (process.platform !== 'linux') return null;
  const env = withMallocTunables(process.env);
  if (env === process.env) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  const interrupt = (): void => {
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGINT'), INTERRUPT_GRACE_MS).unref();
  };
  process.on('SIGINT', interrupt);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', interrupt);
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
