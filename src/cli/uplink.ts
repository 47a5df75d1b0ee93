import { join } from 'node:path';
import { Registry } from 'prom-client';
import { openCatalog } from '../catalog/database.js';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../shared/clock.js';
import { GatewayError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { createUplink } from '../uplink/build-uplink.js';
import { createSinks } from '../uplink/sink-factory.js';
import type { UplinkStatus } from '../uplink/uplink-service.js';
import { CONFIG_FLAGS, configOverrides, parseCommandArgs, type CommandIo } from './common.js';
import { COMMAND_USAGE } from './usage.js';

const DRAIN_FLAGS = { ...CONFIG_FLAGS, 'timeout-ms': { type: 'string' } } as const;

function formatStatus(status: UplinkStatus): string {
  const lines = status.sinks.map((sink) =>
    `  ${sink.name.padEnd(12)} backlog ${String(sink.backlog).padStart(6)}  dead ${String(sink.dead).padStart(4)}  circuit ${sink.circuit}` +
    (sink.backlog > 0 && sink.lastError ? `  last error: ${sink.lastError}` : ''));
  return `${lines.join('\n')}\n`;
}

/** `privacy-gateway uplink drain`: deliver every outbox item now (before maintenance); exit 0 when empty, 1 if not. */
export async function runUplink(argv: string[], io: CommandIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'drain') {
    throw new GatewayError('PGW_ERR_BAD_REQUEST', COMMAND_USAGE.uplink);
  }
  const { values } = parseCommandArgs(rest, DRAIN_FLAGS);
  const config = loadConfig({ overrides: configOverrides(values) });
  const timeoutMs = values['timeout-ms'] === undefined ? config.uplink.drainTimeoutMs : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
    throw new GatewayError('PGW_ERR_BAD_REQUEST', `--timeout-ms must be a non-negative integer, got '${values['timeout-ms']}'`);
  }
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level }, io.stderr);
  const catalog = openCatalog(join(config.dataDir, 'catalog.db'));
  try {
    const uplink = createUplink({
      config, catalog, clock: systemClock, logger, registry: new Registry(),
      audit: { append: (event) => logger.warn({ audit: event }, 'audit event') },
      // A drain only delivers; eviction stays with the running gateway, which knows the legal holds.
      holds: { isHeld: () => true },
    }, createSinks(config, logger));
    const { drained, status } = await uplink.drainStandalone(timeoutMs);
    io.stdout.write(`${drained ? 'uplink drained' : `uplink not drained after ${timeoutMs} ms`}\n${formatStatus(status)}`);
    return drained ? 0 : 1;
  } finally {
    catalog.close();
  }
}
