import { suppressSmallCells, type SuppressedTable } from './cell-suppression.js';
import type { MinimizedValue } from './policy-engine.js';
import type { AggregateOutput, SensorPolicy } from './policy-schema.js';

/**
 * Per-policy, per-window, per-zone accumulators for aggregate policies. Pseudonyms used for distinct
 * counts live only here, in memory, until their window is published; only suppressed tables leave.
 */

/** Distinct contributors held per open window of one policy; beyond it new contributors are refused. */
export const MAX_CONTRIBUTORS_PER_WINDOW = 200_000;
/** Zones per open window of one policy; beyond it records for new zones are refused. */
export const MAX_CELLS_PER_WINDOW = 10_000;

interface CellState {
  records: number;
  sum: number;
  distinct: Set<string> | undefined;
}

interface WindowState {
  readonly policyId: string;
  readonly policyVersion: number;
  readonly output: AggregateOutput;
  readonly windowStart: number;
  readonly cells: Map<string, CellState>;
  contributors: number;
}

export interface WindowAggregate extends SuppressedTable {
  readonly policyId: string;
  readonly policyVersion: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly metric: AggregateOutput['metric'];
  readonly k: number;
  /** True when published early (the gateway stopped before the window ended). */
  readonly partial: boolean;
}

export type AddOutcome = 'added' | 'late' | 'future' | 'overloaded';

function keyOf(value: MinimizedValue | undefined): string {
  if (typeof value === 'object') return `${value.lat},${value.lon}`;
  return String(value);
}

export class WindowAggregator {
  private readonly windows = new Map<string, WindowState>();

  constructor(private readonly graceMs: number) {}

  /** Folds one minimized record into its window; `arrivalMs` is used when the policy has no time field. */
  add(policy: SensorPolicy, policyVersion: number, fields: Readonly<Record<string, MinimizedValue>>, arrivalMs: number): AddOutcome {
    const output = policy.output;
    if (output.mode !== 'aggregate') throw new TypeError(`policy ${policy.id} does not aggregate`);
    const eventMs = output.timeField === undefined ? arrivalMs : Number(fields[output.timeField]);
    const windowStart = Math.floor(eventMs / output.windowMs) * output.windowMs;
    if (windowStart + output.windowMs + this.graceMs <= arrivalMs) return 'late';
    // A window that starts more than one window ahead of the clock would stay open (in memory) until then.
    if (windowStart > arrivalMs + output.windowMs) return 'future';
    const window = this.windowFor(policy.id, policyVersion, output, windowStart);
    const zone = keyOf(fields[output.zoneField]);
    let cell = window.cells.get(zone);
    if (!cell) {
      if (window.cells.size >= MAX_CELLS_PER_WINDOW) return 'overloaded';
      cell = { records: 0, sum: 0, distinct: output.distinctField === undefined ? undefined : new Set() };
      window.cells.set(zone, cell);
    }
    if (cell.distinct && output.distinctField !== undefined) {
      const token = keyOf(fields[output.distinctField]);
      if (!cell.distinct.has(token)) {
        if (window.contributors >= MAX_CONTRIBUTORS_PER_WINDOW) return 'overloaded';
        cell.distinct.add(token);
        window.contributors++;
      }
    }
    cell.records++;
    if (output.valueField !== undefined) cell.sum += Number(fields[output.valueField]);
    return 'added';
  }

  /** Publishes and forgets every window whose end plus grace has passed. */
  flushDue(nowMs: number): WindowAggregate[] {
    return this.flush((window) => window.windowStart + window.output.windowMs + this.graceMs <= nowMs, false);
  }

  /** Publishes every open window now, marked partial (on stop). */
  flushAll(): WindowAggregate[] {
    return this.flush(() => true, true);
  }

  openWindows(): number {
    return this.windows.size;
  }

  private windowFor(policyId: string, policyVersion: number, output: AggregateOutput, windowStart: number): WindowState {
    const key = `${policyId}\u0000${policyVersion}\u0000${windowStart}`;
    let window = this.windows.get(key);
    if (!window) {
      window = { policyId, policyVersion, output, windowStart, cells: new Map(), contributors: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  private flush(due: (window: WindowState) => boolean, partial: boolean): WindowAggregate[] {
    const results: WindowAggregate[] = [];
    for (const [key, window] of this.windows) {
      if (!due(window)) continue;
      this.windows.delete(key);
      const cells = [...window.cells].map(([zone, cell]) => ({
        zone,
        n: cell.distinct ? cell.distinct.size : cell.records,
        records: cell.records,
        sum: cell.sum,
      }));
      const table = suppressSmallCells(cells, window.output.k, window.output.metric);
      results.push({
        ...table,
        policyId: window.policyId,
        policyVersion: window.policyVersion,
        windowStart: window.windowStart,
        windowEnd: window.windowStart + window.output.windowMs,
        metric: window.output.metric,
        k: window.output.k,
        partial,
      });
    }
    return results.sort((a, b) => a.windowStart - b.windowStart || a.policyId.localeCompare(b.policyId));
  }
}
