import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type CatalogDatabase } from '../../src/catalog/database.js';
import type { AuditEvent, AuditPort, OutboxItem, OutboxKind } from '../../src/shared/ports.js';
import type { Provenance, Sink } from '../../src/uplink/sink.js';

export function temporaryDirectory(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `pgw-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function testCatalog(directory: string): CatalogDatabase {
  return openCatalog(join(directory, 'catalog.db'));
}

export class RecordingAudit implements AuditPort {
  readonly events: AuditEvent[] = [];
  append(event: AuditEvent): void {
    this.events.push(event);
  }
}

/** Every file under `root`, recursively, relative paths sorted. */
export function listTree(root: string): string[] {
  const files: string[] = [];
  const walk = (directory: string, prefix: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(directory, entry.name), `${prefix}${entry.name}/`);
      else files.push(`${prefix}${entry.name}`);
    }
  };
  walk(root, '');
  return files.sort();
}

/**
 * Wraps a real sink and can take it "down" (every delivery fails before reaching the target), to drive the worker's
 * retry and circuit logic deterministically. Real outages of real servers are in the sink tests.
 */
export class SwitchableSink implements Sink {
  down = false;
  attempts = 0;
  readonly name: string;
  readonly ordered: boolean;

  constructor(private readonly inner: Sink, ordered?: boolean) {
    this.name = inner.name;
    this.ordered = ordered ?? inner.ordered;
  }

  accepts(kind: OutboxKind): boolean {
    return this.inner.accepts(kind);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async deliver(item: OutboxItem, provenance: Provenance): Promise<void> {
    this.attempts += 1;
    if (this.down) throw new Error('central storage unreachable');
    await this.inner.deliver(item, provenance);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
