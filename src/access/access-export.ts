import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CatalogDatabase } from '../catalog/database.js';
import { writeSealedWorkFile } from '../media/encrypted-file.js';
import type { MediaTools } from '../media/media-tools.js';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import { recordingFailure } from './export-failure.js';
import type { Principal } from '../shared/types.js';
import type { SigningKey } from '../vault/signing-key.js';
import type { OriginalRecord } from '../vault/originals-store.js';
import type { VaultActor } from '../vault/vault.js';
import { hasMfa, sameSubject, type AccessService } from './access-service.js';
import type { AccessRequestRecord } from './access-store.js';
import { signManifest, type ManifestSegment, type SignedManifest } from './export-manifest.js';
import { maskedToMpegTs } from './masked-export.js';
import { remuxToMpegTs } from './remux.js';

/** What the export needs from the vault. */
export interface OriginalsReader {
  find(cameras: readonly string[], fromMs: number, toMs: number): OriginalRecord[];
  open(originalId: string, by: VaultActor): Promise<Buffer>;
}

export interface ExportScope {
  readonly camera?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface StartedExport {
  readonly exportId: string;
  readonly contentType: string;
  readonly segments: number;
  /** MPEG-TS bytes; the signed manifest is stored when the stream ends. */
  readonly stream: Readable;
}

interface ExportWindow {
  readonly camera: string;
  readonly fromMs: number;
  readonly toMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Unredacted export (P5, G1): streams the decrypted originals of exactly the granted scope, remuxed
 * without re-encoding, and signs a manifest with ingest hashes and the export's own hash. The grant
 * is re-checked before every segment, so a revocation takes effect mid-stream.
 */
export class ExportService {
  constructor(
    private readonly db: CatalogDatabase,
    private readonly access: AccessService,
    private readonly originals: OriginalsReader,
    private readonly signingKey: SigningKey,
    private readonly clock: Clock,
    /** Resolved when an export runs: the gateway and its CLIs start without needing ffmpeg. */
    private readonly media: () => MediaTools,
    /** Where originals are sealed for ffmpeg to read (`dataDir/work/exports`). */
    private readonly workDir: string,
  ) {}

  /** Removes sealed work files an interrupted export left (unreadable: their keys died with the process). */
  async removeLeftovers(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }

  start(principal: Principal, requestId: string, scope: ExportScope): StartedExport {
    const record = this.access.visible(principal, requestId);
    this.assertGrant(principal, record);
    const window = this.narrow(principal, record, scope);
    const segments = this.originals.find([window.camera], window.fromMs, window.toMs);
    const exportId = randomBytes(16).toString('hex');
    // Every read is recorded before any byte leaves: if the audit log cannot take it, the export does not happen (F4).
    this.db.transaction(() => {
      this.access.auditRequest(principal, 'access.export', record, 'success', {
        exportId,
        scope: { camera: window.camera, from: iso(window.fromMs), to: iso(window.toMs) },
        segments: segments.map((segment) => segment.segmentId),
      });
      for (const segment of segments) {
        this.access.auditRequest(principal, 'original.read', record, 'success', { exportId, originalId: segment.originalId, segmentId: segment.segmentId, cameraId: segment.cameraId });
      }
      this.access.store.insertExport(exportId, requestId, this.clock.now());
    })();
    const stream = Readable.from(this.produce(principal, record, window, segments, exportId));
    return { exportId, contentType: 'video/mp2t', segments: segments.length, stream };
  }

  manifest(principal: Principal, requestId: string, exportId: string): SignedManifest {
    const record = this.access.visible(principal, requestId);
    const outcome = this.access.store.exportOutcome(record.id, exportId);
    if (outcome === undefined) throw new GatewayError('PGW_ERR_NOT_FOUND', `no export ${exportId} of request ${requestId}`, { requestId, exportId });
    if (outcome.failure !== null) throw new GatewayError('PGW_ERR_CONFLICT', `export ${exportId} failed (${outcome.failure}); the stream it sent is incomplete and has no manifest`, { exportId });
    const { manifest } = outcome;
    if (manifest === null) throw new GatewayError('PGW_ERR_CONFLICT', `export ${exportId} has not completed`, { exportId });
    this.access.auditRequest(principal, 'access.manifest_read', record, 'success', { exportId });
    return JSON.parse(manifest) as SignedManifest;
  }

  private assertGrant(principal: Principal, record: AccessRequestRecord): void {
    const now = this.clock.now();
    let reason: string | undefined;
    if (!sameSubject(record.requester, principal.subject)) reason = 'only the requester may export under a grant';
    else if (record.status !== 'approved') reason = `request is ${record.status}`;
    else if (record.grantExpiresAt === null || now >= record.grantExpiresAt) reason = 'grant has expired';
    else if (this.access.policy.requireMfaForExport && !hasMfa(principal, this.access.policy)) reason = 'multi-factor authentication required';
    if (reason !== undefined) {
      this.access.auditRequest(principal, 'access.export', record, 'denied', { reason });
      throw new GatewayError(reason.startsWith('multi-factor') ? 'PGW_ERR_MFA_REQUIRED' : 'PGW_ERR_GRANT_INVALID', `export refused: ${reason}`, { requestId: record.id });
    }
  }

  private narrow(principal: Principal, record: AccessRequestRecord, scope: ExportScope): { camera: string; fromMs: number; toMs: number } {
    const camera = scope.camera ?? (record.cameras.length === 1 ? record.cameras[0] : undefined);
    const fromMs = scope.from === undefined ? record.fromMs : Date.parse(scope.from);
    const toMs = scope.to === undefined ? record.toMs : Date.parse(scope.to);
    if (camera === undefined) throw new GatewayError('PGW_ERR_VALIDATION', 'this grant covers several cameras; choose one with ?camera=');
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) throw new GatewayError('PGW_ERR_VALIDATION', 'from/to must be ISO 8601 times with from < to');
    if (!record.cameras.includes(camera) || fromMs < record.fromMs || toMs > record.toMs) {
      this.access.auditRequest(principal, 'access.export', record, 'denied', { reason: 'outside the granted scope', camera, from: iso(fromMs), to: iso(toMs) });
      throw new GatewayError('PGW_ERR_GRANT_INVALID', 'export refused: outside the granted cameras or time window', { requestId: record.id });
    }
    return { camera, fromMs, toMs };
  }

  /** One original as MPEG-TS: decrypted in memory, sealed into a work file for ffmpeg, removed afterwards. */
  private async *exportOne(segment: OriginalRecord, actor: VaultActor, offsetSeconds: number): AsyncGenerator<Buffer> {
    const plain = await this.originals.open(segment.originalId, actor);
    const sealed = await writeSealedWorkFile(plain, this.workDir).finally(() => plain.fill(0));
    try {
      // Static privacy masks of the camera at capture stay on in every unredacted export (A6).
      const tools = this.media();
      const pieces = segment.privacyMasks.length > 0 ? maskedToMpegTs(tools, sealed.input, segment.privacyMasks, offsetSeconds) : remuxToMpegTs(tools.ffmpeg, sealed.input, offsetSeconds);
      let bytes = 0;
      for await (const chunk of pieces) {
        bytes += chunk.length;
        yield chunk;
      }
      // ffmpeg can exit 0 having written nothing (an unreadable container); an export must never skip footage silently.
      if (bytes === 0) throw new GatewayError('PGW_ERR_FFMPEG', `original ${segment.originalId} produced no video in the export`, { originalId: segment.originalId });
    } finally {
      await sealed.dispose();
    }
  }

  /** The stream, then the signed manifest; a failure part-way is stored and audited, so the manifest request says why. */
  private produce(principal: Principal, record: AccessRequestRecord, window: ExportWindow, segments: readonly OriginalRecord[], exportId: string): AsyncGenerator<Buffer> {
    return recordingFailure(this.streamAndSign(principal, record, window, segments, exportId), (reason) => {
      this.access.store.failExport(exportId, reason);
      this.access.auditRequest(principal, 'access.export_fail', record, 'failure', { exportId, reason });
    });
  }

  private async *streamAndSign(principal: Principal, record: AccessRequestRecord, window: ExportWindow, segments: readonly OriginalRecord[], exportId: string): AsyncGenerator<Buffer> {
    const digest = createHash('sha256');
    let bytes = 0;
    const listed: ManifestSegment[] = [];
    const actor: VaultActor = { actor: principal.subject, role: principal.roles.join(','), details: { requestId: record.id, caseNumber: record.caseNumber, purpose: record.purpose, approver: record.decidedBy, exportId } };
    for (const segment of segments) {
      const current = this.access.store.get(record.id);
      if (!current || current.status !== 'approved' || (current.grantExpiresAt ?? 0) <= this.clock.now()) {
        this.access.auditRequest(principal, 'access.export', record, 'denied', { reason: 'grant revoked or expired during export', exportId });
        throw new GatewayError('PGW_ERR_GRANT_INVALID', 'export stopped: the grant was revoked or expired', { requestId: record.id });
      }
      for await (const chunk of this.exportOne(segment, actor, (segment.startMs - (segments[0]?.startMs ?? segment.startMs)) / 1000)) {
        digest.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
      listed.push({ segmentId: segment.segmentId, originalId: segment.originalId, cameraId: segment.cameraId, start: iso(segment.startMs), end: iso(segment.endMs), sha256: segment.sha256, bytes: segment.plainBytes, privacyMasks: segment.privacyMasks });
    }
    const manifest = signManifest(this.signingKey, {
      type: 'privacy-gateway.export-manifest',
      version: 1,
      exportId,
      request: { id: record.id, cameras: record.cameras, from: iso(record.fromMs), to: iso(record.toMs), caseNumber: record.caseNumber, purpose: record.purpose, createdAt: iso(record.createdAt) },
      requester: record.requester,
      approver: record.decidedBy ?? '',
      approvedAt: iso(record.decidedAt ?? 0),
      grantExpiresAt: iso(record.grantExpiresAt ?? 0),
      scope: { camera: window.camera, from: iso(window.fromMs), to: iso(window.toMs) },
      segments: listed,
      export: { format: 'video/mp2t', sha256: digest.digest('hex'), bytes },
      createdAt: iso(this.clock.now()),
    });
    this.access.store.completeExport(exportId, JSON.stringify(manifest));
    this.access.auditRequest(principal, 'access.export_complete', record, 'success', { exportId, exportSha256: manifest.export.sha256, bytes });
  }
}
