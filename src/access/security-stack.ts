import { join } from 'node:path';
import type { JWK } from 'jose';
import { exportJWK } from 'jose';
import { AuditLog, type AuditQuery } from '../audit/audit-log.js';
import type { AuditRecord } from '../audit/audit-record.js';
import type { AuditVerification } from '../audit/audit-verify.js';
import type { CatalogDatabase } from '../catalog/database.js';
import type { Config } from '../config/schema.js';
import { mediaTools, type MediaTools } from '../media/media-tools.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { OutboxPort } from '../shared/ports.js';
import type { Principal } from '../shared/types.js';
import { EnvKeyProvider, FileKeyProvider, type KeyProvider } from '../vault/key-provider.js';
import { GATEWAY_SIGNING_KEY, loadOrCreateSigningKey, TOKEN_SIGNING_KEY, type SigningKey } from '../vault/signing-key.js';
import { Vault, type RotationProgress } from '../vault/vault.js';
import { AccessService, type AccessRequestInput } from './access-service.js';
import type { AccessStatus } from './access-store.js';
import { ExportService } from './access-export.js';
import { PublicExportService } from './public-export.js';

export interface SecurityStackOptions {
  config: Readonly<Config>;
  db: CatalogDatabase;
  logger: Logger;
  clock: Clock;
  /** ffmpeg/ffprobe for exports (default: the gateway's usual resolution, `FFMPEG_PATH` first). */
  media?: () => MediaTools;
  outbox?: OutboxPort;
  env?: NodeJS.ProcessEnv;
}

/** The vault, audit log and access services of one gateway, wired together; `app.ts` adds the API on top. */
export interface SecurityStack {
  readonly signingKey: SigningKey;
  readonly tokenKey: SigningKey;
  readonly audit: AuditLog;
  readonly vault: Vault;
  readonly access: AccessService;
  readonly exports: ExportService;
  /** Public JWKs of the local token issuer. */
  localJwks(): Promise<JWK[]>;
  accessApi(): AccessApi;
  /** Public-records exports of redacted footage (G2). */
  publicExportsApi(): PublicExportService;
  auditApi(): AuditApi;
  keysApi(): KeysApi;
  start(): Promise<void>;
  stop(): void;
}

type AccessApi = Pick<AccessService, 'create' | 'list' | 'get' | 'approve' | 'deny' | 'revoke'> & {
  startExport: ExportService['start'];
  manifest: ExportService['manifest'];
};

interface AuditApi {
  query(principal: Principal, query: AuditQuery): { records: AuditRecord[]; next: number | null };
  verify(principal: Principal): AuditVerification;
}

interface KeysApi {
  status(): { activeKek: string; originalsByKek: Record<string, number>; signingKeyId: string };
  rotate(principal: Principal): Promise<RotationProgress>;
}

export function keysDirOf(dataDir: string): string {
  return join(dataDir, 'keys');
}

function keyProviderFor(config: Readonly<Config>, env: NodeJS.ProcessEnv): KeyProvider {
  if (config.vault.kekSource === 'env') return new EnvKeyProvider(env);
  const provider = new FileKeyProvider(keysDirOf(config.dataDir));
  provider.initialize();
  return provider;
}

export function createSecurityStack(options: SecurityStackOptions): SecurityStack {
  const { config, db, logger, clock } = options;
  const keysDir = keysDirOf(config.dataDir);
  const signingKey = loadOrCreateSigningKey(keysDir, GATEWAY_SIGNING_KEY);
  const tokenKey = loadOrCreateSigningKey(keysDir, TOKEN_SIGNING_KEY);
  const audit = new AuditLog({
    db,
    clock,
    logger,
    signingKey,
    anchorPath: join(config.dataDir, 'audit', 'head.json'),
    ...(options.outbox ? { outbox: options.outbox } : {}),
    checkpointEvery: config.audit.checkpointEvery,
    checkpointIntervalMs: config.audit.checkpointIntervalSec * 1000,
  });
  const vault = new Vault({
    db,
    vaultDir: join(config.dataDir, 'vault'),
    keys: keyProviderFor(config, options.env ?? process.env),
    audit,
    clock,
    logger,
    chunkBytes: config.vault.chunkBytes,
    rotationBatch: config.vault.rotationBatch,
  });
  const access = new AccessService(db, audit, clock, { ...config.access, ...config.auth });
  const media = options.media ?? (() => mediaTools());
  const exports = new ExportService(db, access, vault, signingKey, clock, media, join(config.dataDir, 'work', 'exports'));
  const publicExports = new PublicExportService({ db, audit, signingKey, clock, media, spoolDir: join(config.dataDir, 'spool'), maxWindowHours: config.access.maxWindowHours });
  return {
    signingKey,
    tokenKey,
    audit,
    vault,
    access,
    exports,
    async localJwks() {
      return config.auth.localIssuer ? [{ ...(await exportJWK(tokenKey.publicKey)), kid: tokenKey.keyId, alg: 'EdDSA', use: 'sig' }] : [];
    },
    accessApi: () => accessApiOf(access, exports),
    publicExportsApi: () => publicExports,
    auditApi: () => auditApiOf(audit),
    keysApi: () => ({
      status: () => ({ ...vault.keyStatus(), signingKeyId: signingKey.keyId }),
      rotate: (principal) => vault.rotateKek({ actor: principal.subject, role: principal.roles.join(',') }),
    }),
    async start() {
      await vault.start();
      await exports.removeLeftovers();
      audit.start();
    },
    stop() {
      audit.stop();
    },
  };
}

function accessApiOf(access: AccessService, exports: ExportService): AccessApi {
  return {
    create: (principal: Principal, input: AccessRequestInput) => access.create(principal, input),
    list: (principal: Principal, filter: { status?: AccessStatus; limit: number; offset: number }) => access.list(principal, filter),
    get: (principal, id) => access.get(principal, id),
    approve: (principal, id, opts) => access.approve(principal, id, opts),
    deny: (principal, id, opts) => access.deny(principal, id, opts),
    revoke: (principal, id, opts) => access.revoke(principal, id, opts),
    startExport: (principal, id, scope) => exports.start(principal, id, scope),
    manifest: (principal, id, exportId) => exports.manifest(principal, id, exportId),
  };
}

/** Audit reads and verifications are themselves audited (F1). */
function auditApiOf(audit: AuditLog): AuditApi {
  return {
    query(principal, query) {
      audit.append({ actor: principal.subject, role: principal.roles.join(','), action: 'audit.read', object: 'audit-log', outcome: 'success', details: { ...query } });
      return audit.query(query);
    },
    verify(principal) {
      const result = audit.verify();
      audit.append({ actor: principal.subject, role: principal.roles.join(','), action: 'audit.verify', object: 'audit-log', outcome: result.ok ? 'success' : 'failure', details: { ...result } });
      return result;
    },
  };
}
