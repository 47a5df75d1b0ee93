import { z } from 'zod';
import { httpSection, logSection } from './sections/core.js';
import { pipelineSection } from './sections/pipeline.js';
import { accessSection, auditSection, authSection, vaultSection } from './sections/security.js';
import { retentionSection } from './sections/retention.js';
import { uplinkSection } from './sections/uplink.js';
import { sensorsSection } from './sections/sensors.js';
import { camerasSection } from './sections/cameras.js';

/**
 * The one schema of the gateway's configuration: types, defaults and descriptions. Each concern owns a
 * section file under `sections/`; this file only composes them.
 */
export const configSchema = z
  .strictObject({
    dataDir: z.string().min(1).default('./.data').describe('Directory for all state: catalog, vault, spool, keys.'),
    http: httpSection,
    log: logSection,
    pipeline: pipelineSection,
    auth: authSection,
    vault: vaultSection,
    audit: auditSection,
    access: accessSection,
    retention: retentionSection,
    uplink: uplinkSection,
    sensors: sensorsSection,
    cameras: camerasSection,
  })
  .describe('privacy-gateway configuration');

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
