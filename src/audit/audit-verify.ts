import type { KeyObject } from 'node:crypto';
import type { CatalogDatabase } from '../catalog/database.js';
import { GENESIS_HASH, hashRecord, recordFromRow, verifyHead, type AuditRecord, type AuditRow, type SignedHead } from './audit-record.js';

export interface AuditProblem {
  /** Sequence number of the first record that is wrong or missing. */
  readonly seq: number;
  readonly reason: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly records: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly checkpointsChecked: number;
  /** The first bad record (lowest sequence number), when `ok` is false. */
  readonly firstBad?: AuditProblem;
}

interface ChainResult {
  records: number;
  headSeq: number;
  headHash: string;
  problem?: AuditProblem;
  hashes: Map<number, string>;
}

function walkChain(db: CatalogDatabase, wanted: ReadonlySet<number>): ChainResult {
  const hashes = new Map<number, string>();
  let expected = 1;
  let prev = GENESIS_HASH;
  let records = 0;
  for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate()) {
    records++;
    let record: AuditRecord;
    try {
      record = recordFromRow(row as AuditRow);
    } catch (error) {
      const seq = (row as AuditRow).seq;
      return { records, headSeq: expected - 1, headHash: prev, hashes, problem: { seq, reason: `record ${seq} is unreadable: ${(error as Error).message}` } };
    }
    if (record.seq !== expected) {
      return { records, headSeq: expected - 1, headHash: prev, hashes, problem: { seq: expected, reason: `record ${expected} is missing (next stored record is ${record.seq})` } };
    }
    if (record.prevHash !== prev) {
      return { records, headSeq: expected - 1, headHash: prev, hashes, problem: { seq: record.seq, reason: `record ${record.seq} does not link to record ${record.seq - 1} (removed, inserted or reordered)` } };
    }
    if (hashRecord(record.prevHash, record) !== record.hash) {
      return { records, headSeq: expected - 1, headHash: prev, hashes, problem: { seq: record.seq, reason: `record ${record.seq} was altered (hash mismatch)` } };
    }
    if (wanted.has(record.seq)) hashes.set(record.seq, record.hash);
    prev = record.hash;
    expected++;
  }
  return { records, headSeq: expected - 1, headHash: prev, hashes };
}

function checkpointProblem(head: SignedHead, chain: ChainResult, publicKey: KeyObject): AuditProblem | undefined {
  if (!verifyHead(publicKey, head)) return { seq: head.seq, reason: `signed checkpoint at record ${head.seq} has an invalid signature` };
  if (head.seq > chain.headSeq) {
    return { seq: chain.headSeq + 1, reason: `log ends at record ${chain.headSeq} but a signed checkpoint covers record ${head.seq} (truncated or rolled back)` };
  }
  if (chain.hashes.get(head.seq) !== head.headHash) return { seq: head.seq, reason: `record ${head.seq} differs from the signed checkpoint (rewritten or rolled back)` };
  return undefined;
}

/**
 * Verifies the whole chain (contiguous sequence, links, hashes) and every signed head the caller
 * knows (checkpoints stored in the catalog, the anchor file, checkpoints exported off the box):
 * the log must reach each one and agree with it. Names the first bad record.
 */
export function verifyAuditLog(db: CatalogDatabase, publicKey: KeyObject, heads: readonly SignedHead[]): AuditVerification {
  const wanted = new Set(heads.map((head) => head.seq));
  const chain = walkChain(db, wanted);
  const problems: AuditProblem[] = chain.problem ? [chain.problem] : [];
  for (const head of heads) {
    const problem = checkpointProblem(head, chain, publicKey);
    if (problem) problems.push(problem);
  }
  problems.sort((a, b) => a.seq - b.seq);
  const firstBad = problems[0];
  return {
    ok: firstBad === undefined,
    records: chain.records,
    headSeq: chain.headSeq,
    headHash: chain.headHash,
    checkpointsChecked: heads.length,
    ...(firstBad ? { firstBad } : {}),
  };
}
