import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareDataDir } from '../../src/shared/data-dir.js';
import { captureLogger, tempDir } from '../pipeline/helpers.js';

describe('the data directory', () => {
  it('is created private to the gateway user (0700), parents included', () => {
    const { logger, entries } = captureLogger();
    const dataDir = join(tempDir(), 'a', 'data');
    prepareDataDir(dataDir, logger);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(entries()).toEqual([]);
  });

  it('an existing one open to other users is kept as it is, with a warning naming its mode', async () => {
    const { logger, entries } = captureLogger();
    const dataDir = join(tempDir(), 'shared-data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o750);
    prepareDataDir(dataDir, logger);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statSync(dataDir).mode & 0o777).toBe(0o750);
    expect(entries()).toMatchObject([{ level: 40, mode: '750', msg: expect.stringContaining('open to other users (mode 750)') as unknown }]);
    chmodSync(dataDir, 0o700);
    prepareDataDir(dataDir, logger);
    await new Promise((resolve) => setImmediate(resolve));
    expect(entries()).toHaveLength(1);
  });
});
