import { z } from 'zod';

const filesystemSink = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Deliver to the embedded central storage directory.'),
    dir: z.string().default('').describe('Central storage directory; empty means `<dataDir>/central`.'),
  })
  .prefault({})
  .describe('Filesystem sink: the embedded default central storage (atomic, fsynced writes).');

const s3Sink = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Deliver segments, sidecars and records to an S3-compatible object store.'),
    endpoint: z.string().default('').describe('Endpoint URL of a non-AWS store (MinIO, Ceph); empty for AWS. Credentials come from the AWS default provider chain (AWS_ACCESS_KEY_ID, ...), never from this file.'),
    region: z.string().min(1).default('us-east-1').describe('Region of the bucket.'),
    bucket: z.string().default('').describe('Bucket name (required when enabled).'),
    prefix: z.string().max(200).default('').describe('Key prefix inside the bucket, e.g. `site-a/`.'),
    forcePathStyle: z.boolean().default(true).describe('Path-style addressing (needed by most self-hosted stores).'),
    multipartThresholdBytes: z.number().int().min(5 * 1024 * 1024).default(16 * 1024 * 1024).describe('Files at least this large are uploaded in parts.'),
    partSizeBytes: z.number().int().min(5 * 1024 * 1024).max(5 * 1024 * 1024 * 1024).default(8 * 1024 * 1024).describe('Size of each multipart part.'),
  })
  .prefault({})
  .describe('S3-compatible object storage sink.');

const postgresSink = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Index segments, sidecar fields, sensor aggregates and checkpoints in PostgreSQL.'),
    url: z.string().default('').describe('Connection URL, e.g. postgres://user@host:5432/db (put the password in PGPASSWORD, not here).'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('pgw_central').describe('Schema of the index tables and their migrations.'),
  })
  .prefault({})
  .describe('PostgreSQL metadata index sink.');

const mqttSink = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Publish events and checkpoints to a central MQTT broker (QoS 1).'),
    url: z.string().default('').describe('Broker URL, e.g. mqtts://broker.example:8883.'),
    topicPrefix: z.string().min(1).max(100).default('pgw').describe('Topic prefix; topics are `<prefix>/<gatewayId>/<kind>/<group>`.'),
    publishTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('A publish without PUBACK after this long counts as failed.'),
  })
  .prefault({})
  .describe('Central MQTT broker sink.');

interface EnabledSinks {
  sinks: { s3: { enabled: boolean; bucket: string }; postgres: { enabled: boolean; url: string }; mqtt: { enabled: boolean; url: string } };
}

/** An enabled sink needs its target; say which key is missing rather than failing at first delivery. */
export function requireSinkTargets(uplink: EnabledSinks, context: z.RefinementCtx): void {
  const { s3, postgres, mqtt } = uplink.sinks;
  if (s3.enabled && s3.bucket === '') context.addIssue({ code: 'custom', path: ['sinks', 's3', 'bucket'], message: 'set uplink.sinks.s3.bucket when the s3 sink is enabled' });
  if (postgres.enabled && postgres.url === '') context.addIssue({ code: 'custom', path: ['sinks', 'postgres', 'url'], message: 'set uplink.sinks.postgres.url when the postgres sink is enabled' });
  if (mqtt.enabled && mqtt.url === '') context.addIssue({ code: 'custom', path: ['sinks', 'mqtt', 'url'], message: 'set uplink.sinks.mqtt.url when the mqtt sink is enabled' });
}

export const uplinkSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the outbox worker that delivers to central storage.'),
    gatewayId: z.string().min(1).max(100).default('gateway').describe('Name of this gateway, stored with every artefact as provenance.'),
    batchSize: z.number().int().min(1).max(1000).default(50).describe('Outbox items a sink worker takes per round.'),
    pollIntervalMs: z.number().int().min(10).max(60_000).default(1000).describe('Longest idle sleep of a sink worker; new items wake it at once.'),
    retryBaseMs: z.number().int().min(10).max(600_000).default(1000).describe('Retry delay after the first failure; doubles per failure, with jitter.'),
    retryMaxMs: z.number().int().min(100).max(3_600_000).default(300_000).describe('Longest retry delay (the pace during a long central outage).'),
    circuitFailureThreshold: z.number().int().min(1).max(1000).default(5).describe('Consecutive failures that open a sink circuit.'),
    circuitOpenMs: z.number().int().min(100).max(3_600_000).default(30_000).describe('How long an open circuit waits before one trial delivery.'),
    drainTimeoutMs: z.number().int().min(1000).max(86_400_000).default(300_000).describe('Longest `uplink drain` waits for the backlog to empty.'),
    spool: z
      .strictObject({
        quotaBytes: z.number().int().min(1024).default(20 * 1024 ** 3).describe('Spool quota in bytes (redacted media awaiting delivery or local retention).'),
        highWaterRatio: z.number().min(0.1).max(1).default(0.9).describe('Share of the quota at which new originals are refused and the alarm is raised.'),
        lowWaterRatio: z.number().min(0.05).max(1).default(0.8).describe('Share of the quota below which the alarm clears again.'),
        minFreeBytes: z.number().int().min(0).default(1024 ** 3).describe('Free disk space below which the spool is under pressure whatever its quota.'),
        localRetentionMs: z.number().int().min(0).default(24 * 3_600_000).describe('How long delivered files stay on the box before they may be evicted.'),
        checkIntervalMs: z.number().int().min(100).max(600_000).default(10_000).describe('How often the spool is measured and swept.'),
      })
      .prefault({})
      .describe('Spool quota, high-water mark and eviction (disk pressure).'),
    sinks: z
      .strictObject({ filesystem: filesystemSink, s3: s3Sink, postgres: postgresSink, mqtt: mqttSink })
      .prefault({})
      .describe('Central storage targets; several may be enabled at once.'),
  })
  .superRefine(requireSinkTargets)
  .prefault({})
  .describe('Store-and-forward uplink to central storage.');
