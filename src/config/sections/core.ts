import { z } from 'zod';

export const httpSection = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP API listens on. Use 0.0.0.0 to serve the LAN.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port of the HTTP API and operator console (0 picks a free port).'),
    console: z.boolean().default(true).describe('Serve the operator console at /console/ (static files, same bearer tokens as the API).'),
  })
  .prefault({})
  .describe('HTTP API and operator console.');

export const logSection = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Minimum level written to the structured (JSON) log on stdout.'),
  })
  .prefault({})
  .describe('Structured logging.');
