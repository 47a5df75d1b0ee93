import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { OutboxItem } from '../shared/ports.js';
import { copyFileDurably, discardPartialFiles, ensureDirectoryDurably, writeFileDurably } from '../shared/durable-file.js';
import { groupToName, keyToName, type Provenance, type Sink } from './sink.js';

/** What the filesystem sink writes next to (or instead of) a payload: the artefact's envelope. */
export interface CentralEnvelope {
  readonly key: string;
  readonly kind: OutboxItem['kind'];
  readonly group: string | null;
  readonly gatewayId: string;
  readonly enqueuedAt: number;
  readonly expiresAt: number | null;
  readonly contentType: string | null;
  readonly body: Readonly<Record<string, unknown>> | null;
  /** Present when the artefact has a payload file, stored as `<name>.data` beside the envelope. */
  readonly file: { readonly bytes: number; readonly sha256: string } | null;
}

/**
 * The embedded default central storage: a directory `<root>/<kind>/<group>/<name>.json` (+ `.data` for payloads).
 * Every write is atomic and fsynced; the envelope is written last and is the commit marker, so an artefact
 * whose envelope exists is complete and a redelivery of it is skipped (idempotent by key).
 */
export class FilesystemSink implements Sink {
  readonly name: string;
  readonly ordered = false;

  constructor(private readonly root: string, private readonly logger: Logger, name = 'filesystem') {
    this.name = name;
  }

  accepts(): boolean {
    return true;
  }

  async start(): Promise<void> {
    ensureDirectoryDurably(this.root);
    const discarded = discardPartialFiles(this.root);
    if (discarded.length > 0) this.logger.warn({ sink: this.name, discarded: discarded.length }, 'discarded half-written central files');
  }

  /** Where an item's envelope lives (the payload, if any, is the same path with `.data`). */
  envelopePath(item: Pick<OutboxItem, 'kind' | 'group' | 'key'>): string {
    return join(this.root, item.kind, groupToName(item.group), `${keyToName(item.key)}.json`);
  }

  async deliver(item: OutboxItem, provenance: Provenance): Promise<void> {
    const envelopePath = this.envelopePath(item);
    if (existsSync(envelopePath)) return;
    ensureDirectoryDurably(join(this.root, item.kind, groupToName(item.group)));
    const file = item.filePath === undefined ? null : await copyFileDurably(item.filePath, envelopePath.replace(/\.json$/, '.data'));
    const envelope: CentralEnvelope = {
      key: item.key, kind: item.kind, group: item.group ?? null, gatewayId: provenance.gatewayId,
      enqueuedAt: provenance.enqueuedAt, expiresAt: item.expiresAt ?? null, contentType: item.contentType ?? null,
      body: item.body ?? null, file,
    };
    writeFileDurably(envelopePath, `${JSON.stringify(envelope)}\n`);
  }

  async stop(): Promise<void> {
    // Nothing is held open between deliveries.
  }
}
