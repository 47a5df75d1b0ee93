import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createSecurityStack } from '../access/security-stack.js';
import type { SignedHead } from '../audit/audit-record.js';
import { openCatalog } from '../catalog/database.js';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import { silentLogger } from '../shared/logger.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';
import { COMMAND_USAGE } from './usage.js';

function readCheckpoints(paths: readonly string[]): SignedHead[] {
  return paths.flatMap((path) => {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as SignedHead | SignedHead[];
    return Array.isArray(parsed) ? parsed : [parsed];
  });
}

/**
 * `privacy-gateway audit verify [--checkpoint FILE]...`: verifies the hash chain against the stored
 * checkpoints, the head anchor and checkpoints fetched from central storage; exit 1 names the first bad record.
 */
export async function runAudit(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...CONFIG_FLAGS, checkpoint: { type: 'string', multiple: true } }, true);
  if (positionals[0] !== 'verify') throw new GatewayError('PGW_ERR_BAD_REQUEST', COMMAND_USAGE.audit);
  const config = loadConfig({ overrides: configOverrides(values) });
  const db = openCatalog(join(config.dataDir, 'catalog.db'));
  try {
    const stack = createSecurityStack({ config, db, logger: silentLogger(), clock: systemClock });
    const result = stack.audit.verify(readCheckpoints(values.checkpoint ?? []));
    stack.audit.append({ actor: `cli:${userInfo().username}`, action: 'audit.verify', object: 'audit-log', outcome: result.ok ? 'success' : 'failure', details: { ...result } });
    io.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok && result.firstBad) io.stderr.write(`audit log is NOT intact: first bad record ${result.firstBad.seq}: ${result.firstBad.reason}\n`);
    return result.ok ? 0 : 1;
  } finally {
    db.close();
  }
}
