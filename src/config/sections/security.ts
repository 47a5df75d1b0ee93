import { z } from 'zod';

export const authSection = z
  .strictObject({
    issuer: z.string().min(1).max(512).default('privacy-gateway').describe('Expected `iss` of bearer JWTs (the identity provider, or the local issuer of `privacy-gateway token`).'),
    audience: z.string().min(1).max(512).default('privacy-gateway').describe('Expected `aud` of bearer JWTs.'),
    jwksFile: z.string().max(4096).default('').describe('Path of a JWKS file with the identity provider\'s public keys (empty: none).'),
    jwksUrl: z.string().max(4096).default('').describe('HTTPS URL of the identity provider\'s JWKS (empty: none). Never taken from a token header.'),
    localIssuer: z.boolean().default(true).describe('Also accept tokens signed by the local key in dataDir/keys (standalone sites, `privacy-gateway token`).'),
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
      .min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA'])
      .describe('Allowed JWT signature algorithms (asymmetric only; `none` and HMAC are never accepted).'),
    clockToleranceSec: z.number().int().min(0).max(300).default(30).describe('Allowed clock skew when checking `exp` and `nbf`.'),
    maxTokenTtlSec: z.number().int().min(60).max(7 * 86_400).default(86_400).describe('Longest lifetime `privacy-gateway token` issues.'),
    failureLimit: z.number().int().min(1).max(10_000).default(10).describe('Failed authentications allowed per client address and window before 429.'),
    failureWindowSec: z.number().int().min(1).max(3600).default(60).describe('Window of the failed-authentication limit.'),
    requireMfaForApproval: z.boolean().default(false).describe('Approvals need an MFA method in the token\'s `amr` claim.'),
    requireMfaForExport: z.boolean().default(false).describe('Unredacted exports need an MFA method in the token\'s `amr` claim.'),
    mfaMethods: z.array(z.string().min(1).max(32)).min(1).default(['mfa', 'otp', 'hwk', 'swk']).describe('`amr` values that count as multi-factor.'),
  })
  .prefault({})
  .describe('Authentication of API callers (bearer JWTs).');

export const vaultSection = z
  .strictObject({
    kekSource: z.enum(['file', 'env']).default('file').describe('Where the key-encryption key comes from: a 0600 file in dataDir/keys, or PGW_VAULT_KEK (base64, 32 bytes).'),
    chunkBytes: z.number().int().min(4096).max(16 * 1024 * 1024).default(1024 * 1024).describe('Plaintext bytes per AES-256-GCM chunk of an encrypted original.'),
    rotationBatch: z.number().int().min(1).max(10_000).default(200).describe('Data keys re-wrapped per transaction during KEK rotation.'),
  })
  .prefault({})
  .describe('Encrypted store of original segments (envelope encryption).');

export const auditSection = z
  .strictObject({
    checkpointEvery: z.number().int().min(1).max(1_000_000).default(100).describe('Sign and export a checkpoint of the head hash after this many records.'),
    checkpointIntervalSec: z.number().int().min(1).max(86_400).default(300).describe('…or at least this often while records are written.'),
  })
  .prefault({})
  .describe('Hash-chained audit log and its signed checkpoints.');

export const accessSection = z
  .strictObject({
    maxWindowHours: z.number().int().min(1).max(24 * 31).default(72).describe('Longest time window one unredacted access request may cover.'),
    maxCameras: z.number().int().min(1).max(100).default(16).describe('Most cameras one access request may name.'),
    defaultGrantHours: z.number().int().min(1).max(168).default(24).describe('Lifetime of a grant when the approver sets none.'),
    maxGrantHours: z.number().int().min(1).max(168).default(168).describe('Longest lifetime of a grant (at most 7 days).'),
  })
  .prefault({})
  .describe('Unredacted access requests, grants and exports.');
