import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ConfigOverrides } from '../config/load.js';
import { GatewayError } from '../shared/errors.js';

/** Flags every command that reads configuration accepts. */
export const CONFIG_FLAGS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export function configOverrides(values: { config?: string; 'data-dir'?: string; port?: string }): ConfigOverrides {
  const overrides: ConfigOverrides = {};
  if (values.config !== undefined) overrides.configPath = values.config;
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new GatewayError('PGW_ERR_CONFIG_INVALID', `--port must be an integer between 0 and 65535, got '${values.port}'`);
    }
    overrides.port = port;
  }
  return overrides;
}

/** parseArgs with errors turned into one-line usage errors (`context.usage`: the CLI quotes the synopsis after them). */
export function parseCommandArgs<T extends ParseArgsConfig['options']>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new GatewayError('PGW_ERR_BAD_REQUEST', (error as Error).message, { usage: true });
  }
}

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const processIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };
