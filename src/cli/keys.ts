import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createSecurityStack } from '../access/security-stack.js';
import { UploadRecords } from '../cameras/upload-records.js';
import { openCatalog } from '../catalog/database.js';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import { silentLogger } from '../shared/logger.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';
import { COMMAND_USAGE } from './usage.js';

/** `privacy-gateway keys status|rotate`: the vault's key-encryption keys (rotate while the gateway is stopped, or use POST /v1/keys/rotate). */
export async function runKeys(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CONFIG_FLAGS, true);
  const action = positionals[0];
  if (action !== 'rotate' && action !== 'status') throw new GatewayError('PGW_ERR_BAD_REQUEST', COMMAND_USAGE.keys);
  const config = loadConfig({ overrides: configOverrides(values) });
  const db = openCatalog(join(config.dataDir, 'catalog.db'));
  try {
    const stack = createSecurityStack({ config, db, logger: silentLogger(), clock: systemClock });
    stack.vault.holdSealedKeys(UploadRecords.of(config.dataDir));
    await stack.start();
    const result = action === 'rotate' ? await stack.vault.rotateKek({ actor: `cli:${userInfo().username}`, role: 'admin' }) : stack.vault.keyStatus();
    stack.stop();
    io.stdout.write(`${JSON.stringify({ ...result, signingKeyId: stack.signingKey.keyId })}\n`);
    return 0;
  } finally {
    db.close();
  }
}
