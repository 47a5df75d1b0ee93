import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/logger.js';
import { FilesystemSink } from './filesystem-sink.js';
import { MqttSink } from './mqtt-sink.js';
import { PostgresSink } from './postgres-sink.js';
import { S3Sink } from './s3-sink.js';
import type { Sink } from './sink.js';

/** The configured sinks; the filesystem sink defaults to `<dataDir>/central`. */
export function createSinks(config: Readonly<Config>, logger: Logger): Sink[] {
  const { sinks, gatewayId } = config.uplink;
  const created: Sink[] = [];
  if (sinks.filesystem.enabled) {
    created.push(new FilesystemSink(sinks.filesystem.dir === '' ? join(config.dataDir, 'central') : sinks.filesystem.dir, logger));
  }
  if (sinks.s3.enabled) {
    created.push(new S3Sink({
      bucket: sinks.s3.bucket, prefix: sinks.s3.prefix, multipartThresholdBytes: sinks.s3.multipartThresholdBytes,
      partSizeBytes: sinks.s3.partSizeBytes, logger,
      client: { region: sinks.s3.region, forcePathStyle: sinks.s3.forcePathStyle, ...(sinks.s3.endpoint !== '' && { endpoint: sinks.s3.endpoint }) },
    }));
  }
  if (sinks.postgres.enabled) created.push(new PostgresSink({ url: sinks.postgres.url, schema: sinks.postgres.schema, logger }));
  if (sinks.mqtt.enabled) {
    created.push(new MqttSink({
      url: sinks.mqtt.url, topicPrefix: sinks.mqtt.topicPrefix, clientId: `pgw-uplink-${gatewayId}`.slice(0, 64),
      publishTimeoutMs: sinks.mqtt.publishTimeoutMs, logger,
    }));
  }
  return created;
}
