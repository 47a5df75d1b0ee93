import type { CatalogDatabase } from '../catalog/database.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AuditPort } from '../shared/ports.js';
import { HoldStore } from './hold-store.js';
import { DeletionJournal, SweepRunStore } from './journal-store.js';
import { limitsFromConfig } from './policy.js';
import { RetentionService } from './retention-service.js';
import { RuleStore } from './rule-store.js';
import { RetentionSweeper, type SweepStep } from './sweeper.js';
import type { RetentionSource } from './types.js';

export interface RetentionModuleDependencies {
  db: CatalogDatabase;
  config: Readonly<Config['retention']>;
  sources: readonly RetentionSource[];
  audit: AuditPort;
  clock: Clock;
  logger: Logger;
  onStep?: (step: SweepStep, key: string) => void;
}

export interface RetentionModule {
  readonly service: RetentionService;
  readonly sweeper: RetentionSweeper;
}

/** Builds the stores, the sweeper and the API service over one catalog; the sweeper starts with `sweeper.start()`. */
export function createRetention(deps: RetentionModuleDependencies): RetentionModule {
  const limits = limitsFromConfig(deps.config);
  const rules = new RuleStore(deps.db);
  const holds = new HoldStore(deps.db);
  const journal = new DeletionJournal(deps.db);
  const sweeper = new RetentionSweeper(
    { rules, holds, journal, runs: new SweepRunStore(deps.db), sources: deps.sources, audit: deps.audit, limits, clock: deps.clock, logger: deps.logger },
    {
      intervalMs: deps.config.sweepIntervalMs,
      clockJumpToleranceMs: deps.config.clockJumpToleranceMs,
      journalKeepHours: deps.config.journalKeepHours,
      ...(deps.onStep ? { onStep: deps.onStep } : {}),
    },
  );
  const service = new RetentionService({ rules, holds, sweeper, audit: deps.audit, limits, clock: deps.clock, atomically: (fn) => journal.atomically(fn) });
  return { service, sweeper };
}
