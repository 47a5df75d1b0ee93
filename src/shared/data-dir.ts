import { mkdirSync, statSync } from 'node:fs';
import type { Logger } from './logger.js';

/**
 * Creates the data directory private to the gateway's user (0700: it holds the catalog, the vault, keys and
 * footage), or warns when an existing one is open to other users; an operator may have set group access for a
 * backup agent on purpose, so an existing directory's mode is left as it is.
 */
export function prepareDataDir(dataDir: string, logger: Logger): void {
  let mode: number;
  try {
    mode = statSync(dataDir).mode;
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return;
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    logger.warn({ dataDir, mode: octal }, `the data directory is open to other users (mode ${octal}); run chmod 700 on it unless that is intended`);
  }
}
