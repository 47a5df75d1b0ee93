import { issueLocalToken } from '../api/local-token.js';
import { keysDirOf } from '../access/security-stack.js';
import { loadConfig } from '../config/load.js';
import { GatewayError } from '../shared/errors.js';
import { ROLES, type Role } from '../shared/types.js';
import { loadOrCreateSigningKey, TOKEN_SIGNING_KEY } from '../vault/signing-key.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';

const DURATION = /^(\d+)([smhd]?)$/;
const UNIT_SEC: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

export function parseTtl(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match?.[1]) throw new GatewayError('PGW_ERR_BAD_REQUEST', `--ttl must look like 3600, 90m, 8h or 1d, got '${text}'`);
  return Number(match[1]) * (UNIT_SEC[match[2] ?? ''] ?? 1);
}

/** `privacy-gateway token --sub NAME --role ROLE [--role ROLE2] [--ttl 8h] [--amr mfa]`: a JWT from the local issuer. */
export async function runToken(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...CONFIG_FLAGS,
    sub: { type: 'string' },
    role: { type: 'string', multiple: true },
    ttl: { type: 'string', default: '1h' },
    amr: { type: 'string', multiple: true },
  });
  const config = loadConfig({ overrides: configOverrides(values) });
  if (!values.sub) throw new GatewayError('PGW_ERR_BAD_REQUEST', '--sub NAME is required');
  const roles = values.role ?? [];
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (roles.length === 0 || unknown.length > 0) throw new GatewayError('PGW_ERR_BAD_REQUEST', `--role must be one of ${ROLES.join(', ')}`);
  const ttlSec = parseTtl(values.ttl);
  if (ttlSec < 1 || ttlSec > config.auth.maxTokenTtlSec) throw new GatewayError('PGW_ERR_BAD_REQUEST', `--ttl must be between 1 s and ${config.auth.maxTokenTtlSec} s (auth.maxTokenTtlSec)`);
  const key = loadOrCreateSigningKey(keysDirOf(config.dataDir), TOKEN_SIGNING_KEY);
  const token = await issueLocalToken(key.privateKey, key.keyId, {
    subject: values.sub,
    roles: roles as Role[],
    ttlSec,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    nowSec: Math.floor(Date.now() / 1000),
    ...(values.amr ? { authMethods: values.amr } : {}),
  });
  io.stdout.write(`${token}\n`);
  return 0;
}
