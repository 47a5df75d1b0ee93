import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../shared/logger.js';
import type { OutboxItem, OutboxKind } from '../shared/ports.js';
import { groupToName, type Provenance, type Sink } from './sink.js';

export interface MqttSinkOptions {
  readonly url: string;
  /** Topics are `<topicPrefix>/<gatewayId>/<kind>/<group>`. */
  readonly topicPrefix: string;
  readonly clientId: string;
  readonly publishTimeoutMs: number;
  readonly logger: Logger;
  readonly name?: string;
}

/** Events and checkpoints go to the broker; segment payloads do not (object storage carries the bytes). */
const MQTT_KINDS: ReadonlySet<OutboxKind> = new Set(['sidecar', 'sensor_record', 'sensor_aggregate', 'audit_checkpoint']);

/**
 * Publishes events and checkpoints to a central MQTT broker with QoS 1, one group (camera, sensor) in order.
 * A delivery counts only once the broker has acknowledged it (PUBACK). QoS 1 may deliver twice; the message carries
 * its idempotency key so consumers drop repeats.
 */
export class MqttSink implements Sink {
  readonly name: string;
  readonly ordered = true;
  private client: MqttClient | undefined;

  constructor(private readonly options: MqttSinkOptions) {
    this.name = options.name ?? 'mqtt';
  }

  accepts(kind: OutboxKind): boolean {
    return MQTT_KINDS.has(kind);
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.options.url, {
      clientId: this.options.clientId, clean: false, reconnectPeriod: 1000, connectTimeout: 5000, queueQoSZero: false,
    });
    client.on('error', (error) => this.options.logger.warn({ sink: this.name, err: error }, 'mqtt sink connection error'));
    this.client = client;
  }

  topicOf(item: Pick<OutboxItem, 'kind' | 'group'>, gatewayId: string): string {
    return `${this.options.topicPrefix}/${groupToName(gatewayId)}/${item.kind}/${groupToName(item.group)}`;
  }

  async deliver(item: OutboxItem, provenance: Provenance): Promise<void> {
    const client = this.client;
    // Publishing while offline would sit in the client's memory queue; the outbox is the durable queue, so fail now.
    if (!client?.connected) throw new Error('mqtt broker not connected');
    const payload = JSON.stringify({
      key: item.key, kind: item.kind, group: item.group ?? null, gatewayId: provenance.gatewayId,
      enqueuedAt: provenance.enqueuedAt, expiresAt: item.expiresAt ?? null, body: item.body ?? null,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('mqtt publish not acknowledged in time')), this.options.publishTimeoutMs);
    });
    try {
      await Promise.race([client.publishAsync(this.topicOf(item, provenance.gatewayId), payload, { qos: 1 }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.endAsync(true);
  }
}
