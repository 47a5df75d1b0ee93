import { createHash } from 'node:crypto';
import type { OutboxItem, OutboxKind } from '../shared/ports.js';

/** Provenance every sink stores with an artefact. */
export interface Provenance {
  /** Which gateway produced it. */
  readonly gatewayId: string;
  /** When the outbox recorded it, ms since epoch. */
  readonly enqueuedAt: number;
}

/**
 * A central-storage target. `deliver` must be idempotent on `item.key`: delivering the same item twice (after a
 * crash between delivery and bookkeeping, or a lost acknowledgement) leaves exactly one copy upstream.
 * It resolves only once the target has durably accepted the item.
 */
export interface Sink {
  readonly name: string;
  /** Whether this sink needs each group (camera) delivered in enqueue order. */
  readonly ordered: boolean;
  accepts(kind: OutboxKind): boolean;
  start(): Promise<void>;
  deliver(item: OutboxItem, provenance: Provenance): Promise<void>;
  stop(): Promise<void>;
}

const UNSAFE = /[^A-Za-z0-9._-]+/g;
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/;

/**
 * A file- and object-name-safe, deterministic, readable name for an idempotency key. A safe key is its own name;
 * `id@sha256:hex` becomes `id~sha256-hex`; otherwise characters are replaced and a hash of the exact key is
 * appended after `~`. Safe keys never contain `~`, so two different keys never share a name.
 */
export function keyToName(key: string): string {
  if (SAFE.test(key)) return key;
  const standard = /^(.*)@sha256:([0-9a-f]{64})$/.exec(key);
  const id = standard?.[1] ?? key;
  const readable = id.replace(UNSAFE, '_').replace(/^[._]+/, '').slice(0, 120);
  if (standard && readable === id && readable.length > 0) return `${readable}~sha256-${standard[2]}`;
  return `${readable}~${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Path segment for a group (e.g. a camera id); items without a group share `_`. */
export function groupToName(group: string | undefined): string {
  return group === undefined ? '_' : keyToName(group);
}
