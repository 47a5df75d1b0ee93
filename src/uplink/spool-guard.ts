import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxStore } from '../catalog/outbox-store.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort, HoldPort, StoragePressurePort } from '../shared/ports.js';
import { discardPartialFiles, fsyncDirectory } from '../shared/durable-file.js';
import { assessPressure, mayEvict, type PressureReason, type SpoolPolicy } from './spool-policy.js';

export interface SpoolGuardOptions {
  readonly root: string;
  readonly policy: SpoolPolicy;
  /** How long a delivered file stays on the box before it may be evicted. */
  readonly localRetentionMs: number;
  readonly store: OutboxStore;
  readonly holds: HoldPort;
  readonly audit: AuditPort;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
}

export interface SpoolStatus {
  readonly usedBytes: number;
  readonly freeBytes: number;
  readonly quotaBytes: number;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
  readonly underPressure: boolean;
  readonly reason: PressureReason | null;
  readonly since: number | null;
  readonly evictedFiles: number;
  readonly heldFiles: number;
}

const EVICTION_BATCH = 500;

/**
 * Watches the spool (H3): measures it, evicts files that are delivered, past local retention and not held, and
 * raises the pressure alarm (metric, audit event, status) above the high-water mark. While the alarm is up,
 * `acceptingOriginals()` is false; it clears by itself once space frees below the low-water mark.
 */
export class SpoolGuard implements StoragePressurePort {
  private current: SpoolStatus;
  private readonly usedGauge: Gauge;
  private readonly pressureGauge: Gauge;
  private readonly evictedCounter: Counter;
  private readonly discardedCounter: Counter;
  private evictedTotal = 0;

  constructor(private readonly options: SpoolGuardOptions) {
    const { registry, policy } = options;
    this.usedGauge = new Gauge({ name: 'pgw_uplink_spool_used_bytes', help: 'Bytes in the spool.', registers: [registry] });
    this.pressureGauge = new Gauge({ name: 'pgw_uplink_spool_pressure', help: '1 while the spool is above its high-water mark.', registers: [registry] });
    this.evictedCounter = new Counter({ name: 'pgw_uplink_spool_evicted_total', help: 'Spooled files evicted after delivery and local retention.', registers: [registry] });
    this.discardedCounter = new Counter({ name: 'pgw_uplink_spool_discarded_total', help: 'Half-written spool files discarded on restart.', registers: [registry] });
    this.current = {
      usedBytes: 0, freeBytes: 0, quotaBytes: policy.quotaBytes, highWaterBytes: 0, lowWaterBytes: 0,
      underPressure: false, reason: null, since: null, evictedFiles: 0, heldFiles: 0,
    };
  }

  acceptingOriginals(): boolean {
    return !this.current.underPressure;
  }

  status(): SpoolStatus {
    return this.current;
  }

  /**
   * Run once at start, before producers write: discards half-written (`*.partial`) files left by a crash. Complete
   * files that no committed outbox row references (written, then the process died before the artefact was
   * recorded, or files of other producers) are only counted: retention removes them when their time is up.
   */
  recover(): { partial: number; unreferenced: number } {
    mkdirSync(this.options.root, { recursive: true });
    const partial = discardPartialFiles(this.options.root).length;
    const unreferenced = listFiles(this.options.root).filter((path) => !this.options.store.isSpoolFileReferenced(path)).length;
    this.discardedCounter.inc(partial);
    if (partial > 0) this.options.logger.warn({ partial }, 'discarded half-written spool files left by a crash');
    if (unreferenced > 0) this.options.logger.info({ unreferenced }, 'spool files not in the outbox are left to retention');
    return { partial, unreferenced };
  }

  /** Evicts what may go, measures, and raises or clears the alarm. */
  check(): SpoolStatus {
    mkdirSync(this.options.root, { recursive: true });
    const { heldFiles } = this.evict();
    const usedBytes = directoryBytes(this.options.root);
    const freeBytes = freeBytesOf(this.options.root);
    const assessment = assessPressure({ usedBytes, freeBytes }, this.options.policy, this.current.underPressure);
    const now = this.options.clock.now();
    const changed = assessment.underPressure !== this.current.underPressure;
    this.current = {
      usedBytes, freeBytes, quotaBytes: this.options.policy.quotaBytes,
      highWaterBytes: assessment.highWaterBytes, lowWaterBytes: assessment.lowWaterBytes,
      underPressure: assessment.underPressure, reason: assessment.reason,
      since: assessment.underPressure ? (changed ? now : this.current.since) : null,
      evictedFiles: this.evictedTotal, heldFiles,
    };
    this.usedGauge.set(usedBytes);
    this.pressureGauge.set(assessment.underPressure ? 1 : 0);
    if (changed) this.announce();
    return this.current;
  }

  private evict(): { heldFiles: number } {
    const { store, holds, clock, localRetentionMs } = this.options;
    const now = clock.now();
    let heldFiles = 0;
    for (const file of store.evictableFiles(now - localRetentionMs, EVICTION_BATCH)) {
      // Only the spool is the guard's to clean; a payload enqueued from elsewhere belongs to its producer.
      if (relative(this.options.root, file.path).startsWith('..') || isAbsolute(relative(this.options.root, file.path))) continue;
      const held = holds.isHeld(file);
      if (!mayEvict({ createdAt: file.createdAt, delivered: true, held }, now, localRetentionMs)) {
        heldFiles += held ? 1 : 0;
        continue;
      }
      rmSync(file.path, { force: true });
      fsyncDirectory(dirname(file.path));
      store.markEvicted(file.path);
      this.evictedTotal += 1;
      this.evictedCounter.inc();
    }
    store.pruneDelivered(now - localRetentionMs);
    return { heldFiles };
  }

  private announce(): void {
    const { usedBytes, quotaBytes, freeBytes, reason, underPressure } = this.current;
    const details = { usedBytes, quotaBytes, freeBytes, reason };
    if (underPressure) this.options.logger.error(details, 'spool above high-water mark; refusing new originals');
    else this.options.logger.info(details, 'spool pressure cleared; accepting originals again');
    try {
      this.options.audit.append({
        actor: 'system:uplink', action: underPressure ? 'uplink.spool_pressure' : 'uplink.spool_pressure_cleared',
        object: 'spool', outcome: underPressure ? 'failure' : 'success', details,
      });
    } catch (error) {
      this.options.logger.error({ err: error }, 'audit unavailable for spool pressure event; alarm stays on metric and status');
    }
  }
}

function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk(root);
  return files;
}

function directoryBytes(root: string): number {
  let total = 0;
  for (const path of listFiles(root)) {
    try {
      total += statSync(path).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return total;
}

function freeBytesOf(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}
