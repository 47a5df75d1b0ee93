/**
 * Small-cell suppression for one aggregation window (A9). Pure.
 *
 * Primary: a cell with fewer than k contributors is suppressed. Complementary: the window total is
 * published, so the suppressed cells' combined value is always total − published cells. While that
 * combination is a single cell, or covers fewer than k contributors, the smallest published cell is
 * suppressed too. If nothing is left to publish and the suppressed cells still cover fewer than k
 * contributors (or are a single cell), the total is withheld as well.
 */

export interface CellInput {
  readonly zone: string;
  /** Contributors: distinct pseudonyms, or records when the policy counts records. */
  readonly n: number;
  /** Records folded into the cell (the divisor of a mean). */
  readonly records: number;
  /** Sum of the value field (0 for plain counts). */
  readonly sum: number;
}

export type Metric = 'count' | 'sum' | 'mean';

export interface PublishedCell {
  readonly zone: string;
  readonly n: number;
  readonly value: number;
}

export interface SuppressedTable {
  readonly cells: readonly PublishedCell[];
  readonly total: { readonly n: number; readonly value: number } | null;
  readonly suppressedPrimary: number;
  readonly suppressedComplementary: number;
}

function valueOf(metric: Metric, cell: Omit<CellInput, 'zone'>): number {
  switch (metric) {
    case 'count':
      return cell.n;
    case 'sum':
      return cell.sum;
    case 'mean':
      return cell.records === 0 ? 0 : cell.sum / cell.records;
  }
}

function contributors(cells: readonly CellInput[]): number {
  return cells.reduce((total, cell) => total + cell.n, 0);
}

function safeGroup(suppressed: readonly CellInput[], k: number): boolean {
  return suppressed.length === 0 || (suppressed.length >= 2 && contributors(suppressed) >= k);
}

export function suppressSmallCells(cells: readonly CellInput[], k: number, metric: Metric): SuppressedTable {
  const ordered = [...cells].filter((cell) => cell.n > 0).sort((a, b) => a.n - b.n || a.zone.localeCompare(b.zone));
  const suppressed = ordered.filter((cell) => cell.n < k);
  const published = ordered.filter((cell) => cell.n >= k);
  const suppressedPrimary = suppressed.length;
  while (!safeGroup(suppressed, k) && published.length > 0) {
    suppressed.push(published.shift() as CellInput);
  }
  const total = {
    n: contributors(ordered),
    records: ordered.reduce((sum, cell) => sum + cell.records, 0),
    sum: ordered.reduce((sum, cell) => sum + cell.sum, 0),
  };
  const totalSafe = total.n >= k && safeGroup(suppressed, k);
  return {
    cells: published
      .sort((a, b) => a.zone.localeCompare(b.zone))
      .map((cell) => ({ zone: cell.zone, n: cell.n, value: valueOf(metric, cell) })),
    total: totalSafe ? { n: total.n, value: valueOf(metric, total) } : null,
    suppressedPrimary,
    suppressedComplementary: suppressed.length - suppressedPrimary,
  };
}
