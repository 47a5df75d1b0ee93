import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { CatalogDatabase } from '../catalog/database.js';
import type { MediaTools } from '../media/media-tools.js';
import type { Clock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import { recordingFailure } from './export-failure.js';
import type { AuditPort } from '../shared/ports.js';
import { segmentStartOf, type SegmentSidecar } from '../shared/segments.js';
import type { Principal } from '../shared/types.js';
import type { SigningKey } from '../vault/signing-key.js';
import type { StartedExport } from './access-export.js';
import { signPublicManifest, type PublicManifestSegment, type SignedPublicManifest } from './export-manifest.js';
import { piped } from './remux.js';

export interface PublicExportRequest {
  readonly camera: string;
  readonly from: string;
  readonly to: string;
  /** The public-records request this disclosure answers (its number in the city's records system). */
  readonly reference: string;
}

export interface PublicExportOptions {
  readonly db: CatalogDatabase;
  readonly audit: AuditPort;
  readonly signingKey: SigningKey;
  readonly clock: Clock;
  readonly media: () => MediaTools;
  /** `dataDir/spool`: redacted segments and their sidecars, one folder per camera. */
  readonly spoolDir: string;
  readonly maxWindowHours: number;
}

/** A redacted segment as its sidecar describes it. */
interface SpooledSegment {
  readonly path: string;
  readonly entry: PublicManifestSegment;
}

const iso = (ms: number): string => new Date(ms).toISOString();

interface ExportRequestInfo {
  readonly exportId: string;
  readonly reference: string;
  readonly scope: { camera: string; from: string; to: string };
}

function segmentOf(dir: string, sidecarName: string): SpooledSegment | undefined {
  let sidecar: Partial<SegmentSidecar>;
  try {
    sidecar = JSON.parse(readFileSync(join(dir, sidecarName), 'utf8')) as Partial<SegmentSidecar>;
  } catch {
    return undefined;
  }
  const { startMs, endMs, segmentId, file } = sidecar;
  if (typeof startMs !== 'number' || typeof endMs !== 'number' || typeof segmentId !== 'string' || typeof file?.name !== 'string' || typeof file.sha256 !== 'string') return undefined;
  const path = join(dir, file.name);
  if (!existsSync(path)) return undefined;
  return {
    path,
    entry: {
      segmentId, start: iso(startMs), end: iso(endMs), sha256: file.sha256, bytes: file.bytes,
      frames: sidecar.frameCount ?? 0, failClosedFrames: sidecar.failClosedFrames ?? 0, regionsPerClass: sidecar.regionsPerClass ?? {},
      privacyMasks: sidecar.privacyMasks ?? 0, detector: sidecar.detector ?? { id: 'unknown', models: [] },
    },
  };
}

/**
 * Public-records export (G2): the redacted segments of one camera lying entirely inside a time window, as one
 * MPEG-TS stream (remuxed, not re-encoded), and a signed manifest that is the redaction log: per segment what was
 * redacted (regions per class, frames redacted whole, static masks, the detector and its model hashes) and the
 * SHA-256 the segment had when it was written. Only redacted media is read; originals are never touched. Operators
 * run it; every export and manifest read is audited with the records request's reference.
 */
export class PublicExportService {
  constructor(private readonly options: PublicExportOptions) {}

  start(principal: Principal, request: PublicExportRequest): StartedExport {
    const fromMs = Date.parse(request.from);
    const toMs = Date.parse(request.to);
    if (!(toMs > fromMs)) throw new GatewayError('PGW_ERR_VALIDATION', 'from/to must be ISO 8601 times with from < to');
    if (toMs - fromMs > this.options.maxWindowHours * 3_600_000) {
      throw new GatewayError('PGW_ERR_VALIDATION', `the window is longer than access.maxWindowHours (${this.options.maxWindowHours} h)`);
    }
    const segments = this.find(request.camera, fromMs, toMs);
    const exportId = randomBytes(16).toString('hex');
    const { db, audit, clock } = this.options;
    // Recorded before any byte leaves: if the audit log cannot take it, the export does not happen (F4).
    db.transaction(() => {
      audit.append({
        actor: principal.subject, role: principal.roles.join(','), action: 'public_export.start', object: `public-export:${exportId}`, outcome: 'success',
        details: { reference: request.reference, camera: request.camera, from: iso(fromMs), to: iso(toMs), segments: segments.map((s) => s.entry.segmentId) },
      });
      db.prepare('INSERT INTO public_exports (id, camera_id, from_ms, to_ms, reference, requester, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(exportId, request.camera, fromMs, toMs, request.reference, principal.subject, clock.now());
    })();
    const scope = { camera: request.camera, from: iso(fromMs), to: iso(toMs) };
    const stream = Readable.from(this.produce(principal, { exportId, reference: request.reference, scope }, segments));
    return { exportId, contentType: 'video/mp2t', segments: segments.length, stream };
  }

  manifest(principal: Principal, exportId: string): SignedPublicManifest {
    const row = this.options.db.prepare('SELECT manifest, reference, failure FROM public_exports WHERE id = ?').get(exportId) as { manifest: string | null; reference: string; failure: string | null } | undefined;
    if (!row) throw new GatewayError('PGW_ERR_NOT_FOUND', `no public export ${exportId}`, { exportId });
    if (row.failure !== null) throw new GatewayError('PGW_ERR_CONFLICT', `public export ${exportId} failed (${row.failure}); the stream it sent is incomplete and has no manifest`, { exportId });
    if (row.manifest === null) throw new GatewayError('PGW_ERR_CONFLICT', `public export ${exportId} has not completed`, { exportId });
    this.options.audit.append({ actor: principal.subject, role: principal.roles.join(','), action: 'public_export.manifest_read', object: `public-export:${exportId}`, outcome: 'success', details: { reference: row.reference } });
    return JSON.parse(row.manifest) as SignedPublicManifest;
  }

  private find(camera: string, fromMs: number, toMs: number): SpooledSegment[] {
    const dir = join(this.options.spoolDir, camera);
    if (!existsSync(dir)) return [];
    // The id in a sidecar's name carries its start: only sidecars that can lie in the window are read.
    const mayLieInside = (name: string): boolean => {
      const startMs = segmentStartOf(name);
      return startMs === undefined || (startMs >= fromMs && startMs < toMs);
    };
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json') && mayLieInside(name))
      .flatMap((name) => segmentOf(dir, name) ?? [])
      .filter((s) => Date.parse(s.entry.start) >= fromMs && Date.parse(s.entry.end) <= toMs)
      .sort((a, b) => a.entry.start.localeCompare(b.entry.start));
  }

  /**
   * The stream, then the signed manifest. A segment that fails its fixity check part-way stops the stream (the
   * client sees it cut short); the failure is recorded and audited, so the manifest request says why.
   */
  private produce(principal: Principal, request: ExportRequestInfo, segments: readonly SpooledSegment[]): AsyncGenerator<Buffer> {
    return recordingFailure(this.streamAndSign(principal, request, segments), (reason) => {
      const { db, audit } = this.options;
      db.prepare('UPDATE public_exports SET failure = ? WHERE id = ?').run(reason, request.exportId);
      audit.append({
        actor: principal.subject, role: principal.roles.join(','), action: 'public_export.fail', object: `public-export:${request.exportId}`, outcome: 'failure',
        details: { reference: request.reference, reason },
      });
    });
  }

  private async *streamAndSign(principal: Principal, request: ExportRequestInfo, segments: readonly SpooledSegment[]): AsyncGenerator<Buffer> {
    const digest = createHash('sha256');
    let bytes = 0;
    const firstMs = segments[0] ? Date.parse(segments[0].entry.start) : 0;
    for (const segment of segments) {
      // Fixity: the segment is exported only as it was written; a changed file stops the export.
      const sha256 = createHash('sha256').update(await readFile(segment.path)).digest('hex');
      if (sha256 !== segment.entry.sha256) throw new GatewayError('PGW_ERR_CONFLICT', `segment ${segment.entry.segmentId} changed since it was written`, { segmentId: segment.entry.segmentId });
      // Each segment file starts at 0; shifted by its recording offset, the pieces play as one timeline.
      const offset = ((Date.parse(segment.entry.start) - firstMs) / 1000).toFixed(3);
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', segment.path, '-map', '0:v', '-c', 'copy', '-output_ts_offset', offset, '-f', 'mpegts', 'pipe:1'];
      for await (const chunk of piped(this.options.media().ffmpeg, args)) {
        digest.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    }
    const { signingKey, clock, db, audit } = this.options;
    const manifest = signPublicManifest(signingKey, {
      type: 'privacy-gateway.public-export-manifest', version: 1, exportId: request.exportId, reference: request.reference, requester: principal.subject,
      scope: request.scope, segments: segments.map((s) => s.entry), export: { format: 'video/mp2t', sha256: digest.digest('hex'), bytes }, createdAt: iso(clock.now()),
    });
    db.prepare('UPDATE public_exports SET manifest = ? WHERE id = ?').run(JSON.stringify(manifest), request.exportId);
    audit.append({
      actor: principal.subject, role: principal.roles.join(','), action: 'public_export.complete', object: `public-export:${request.exportId}`, outcome: 'success',
      details: { reference: request.reference, exportSha256: manifest.export.sha256, bytes },
    });
  }
}
