import closeWithGrace from 'close-with-grace';
import { createGateway } from '../app.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../shared/logger.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';
import { onStopSignals, STOP_SIGNALS } from './stop-signals.js';

export async function runStart(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(argv, CONFIG_FLAGS);
  const config = loadConfig({ overrides: configOverrides(values) });
  const logger = createLogger({ level: config.log.level });
  const gateway = createGateway(config, logger);
  const { url, demoOutputDir } = await gateway.start();
  io.stdout.write(`privacy-gateway listening on ${url} (data in ${config.dataDir})\n`);
  if (demoOutputDir !== undefined) io.stdout.write(`demo camera: redacted segments in ${demoOutputDir}\n`);
  logger.info({ url, dataDir: config.dataDir }, 'gateway started');
  return new Promise<number>((resolve) => {
    // close-with-grace keeps the error handling and the 10 s deadline; signals are counted by onStopSignals.
    const grace = closeWithGrace({ delay: 10_000, skip: [...STOP_SIGNALS] }, async ({ err }) => {
      if (err) logger.error({ err }, 'stopping after an unexpected error');
      await gateway.stop();
      resolve(err ? 1 : 0);
    });
    onStopSignals((signal) => {
      logger.info({ signal }, 'stopping');
      void grace.close();
    }, logger);
  });
}
