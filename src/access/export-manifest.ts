import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { SegmentSidecar } from '../shared/segments.js';
import type { MaskPolygon } from '../shared/types.js';
import { keyIdOf, signDetached, verifyDetached, type SigningKey } from '../vault/signing-key.js';

export const MANIFEST_TYPE = 'privacy-gateway.export-manifest';
export const PUBLIC_MANIFEST_TYPE = 'privacy-gateway.public-export-manifest';

export interface ManifestSegment {
  readonly segmentId: string;
  readonly originalId: string;
  readonly cameraId: string;
  readonly start: string;
  readonly end: string;
  /** SHA-256 of the original plaintext taken at ingest. */
  readonly sha256: string;
  readonly bytes: number;
  /** Static privacy masks laid over this segment in the export (A6); the ingest hash is of the unmasked original. */
  readonly privacyMasks: readonly MaskPolygon[];
}

/** What every export manifest carries: the export's identity and hash, and the key that signed it. */
interface ManifestEnvelope {
  readonly version: 1;
  readonly exportId: string;
  readonly requester: string;
  readonly scope: { readonly camera: string; readonly from: string; readonly to: string };
  readonly export: { readonly format: string; readonly sha256: string; readonly bytes: number };
  readonly createdAt: string;
  readonly keyId: string;
  readonly publicKey: string;
}

/** What an unredacted export contains and who allowed it; signed with the gateway's Ed25519 key. */
export interface ExportManifest extends ManifestEnvelope {
  readonly type: typeof MANIFEST_TYPE;
  readonly request: {
    readonly id: string;
    readonly cameras: readonly string[];
    readonly from: string;
    readonly to: string;
    readonly caseNumber: string;
    readonly purpose: string;
    readonly createdAt: string;
  };
  readonly approver: string;
  readonly approvedAt: string;
  readonly grantExpiresAt: string;
  readonly segments: readonly ManifestSegment[];
}

export interface SignedManifest extends ExportManifest {
  readonly signature: string;
}

/** One redacted segment of a public-records export, with its redaction log (as its sidecar gives them). */
export type PublicManifestSegment = Pick<SegmentSidecar, 'segmentId' | 'start' | 'end' | 'failClosedFrames' | 'regionsPerClass' | 'privacyMasks' | 'detector'> & {
  /** SHA-256 and size of the redacted segment file when it was written (its sidecar's `file`). */
  readonly sha256: string;
  readonly bytes: number;
  readonly frames: number;
};

/** What a public-records export (redacted footage, G2) contains and for which request; signed like ExportManifest. */
export interface PublicExportManifest extends ManifestEnvelope {
  readonly type: typeof PUBLIC_MANIFEST_TYPE;
  readonly reference: string;
  readonly segments: readonly PublicManifestSegment[];
}

export interface SignedPublicManifest extends PublicExportManifest {
  readonly signature: string;
}

type Unsigned<T> = Omit<T, 'keyId' | 'publicKey'>;

function sign<T extends ManifestEnvelope>(key: SigningKey, manifest: Unsigned<T>): T & { readonly signature: string } {
  const body = { ...manifest, keyId: key.keyId, publicKey: key.publicKeyPem } as T;
  return { ...body, signature: signDetached(key, canonicalJson(body)) };
}

export function signManifest(key: SigningKey, manifest: Unsigned<ExportManifest>): SignedManifest {
  return sign<ExportManifest>(key, manifest);
}

export function signPublicManifest(key: SigningKey, manifest: Unsigned<PublicExportManifest>): SignedPublicManifest {
  return sign<PublicExportManifest>(key, manifest);
}

export interface ManifestCheck {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly keyId: string;
}

/**
 * Offline check of a manifest (and optionally the export it describes): signature, key identity
 * (against `trustedKey` when given, else the embedded key), and the export's SHA-256 and length.
 */
export function verifyManifest(manifest: SignedManifest | SignedPublicManifest, exportBytes?: Buffer, trustedKey?: KeyObject): ManifestCheck {
  const problems: string[] = [];
  if (manifest.type !== MANIFEST_TYPE && manifest.type !== PUBLIC_MANIFEST_TYPE) problems.push('not an export manifest');
  const { signature, ...body } = manifest;
  let key: KeyObject | undefined = trustedKey;
  if (!key) {
    try {
      key = createPublicKey(manifest.publicKey);
    } catch (error) {
      problems.push(`embedded public key unreadable: ${(error as Error).message}`);
    }
  }
  if (key) {
    if (keyIdOf(key) !== manifest.keyId) problems.push(`manifest names key ${manifest.keyId} but was checked with key ${keyIdOf(key)}`);
    if (typeof signature !== 'string' || !verifyDetached(key, canonicalJson(body), signature)) problems.push('signature does not verify (manifest altered or signed by another key)');
  }
  if (exportBytes) {
    const digest = createHash('sha256').update(exportBytes).digest('hex');
    if (digest !== manifest.export.sha256) problems.push(`export SHA-256 ${digest} differs from the manifest's ${manifest.export.sha256}`);
    if (exportBytes.length !== manifest.export.bytes) problems.push(`export has ${exportBytes.length} bytes, the manifest says ${manifest.export.bytes}`);
  }
  return { ok: problems.length === 0, problems, keyId: key ? keyIdOf(key) : manifest.keyId };
}
